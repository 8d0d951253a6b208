"""The billing screens' URLs, mounted under /admin/facturation/ by wagtail_hooks.py."""

from django.urls import path

from . import admin_views as views

app_name = "billing_admin"

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("<str:pk>/", views.run_detail, name="run_detail"),
    path("<str:pk>/familles/<str:family_pk>/", views.run_family, name="run_family"),
    path("<str:pk>/avancement/", views.run_progress, name="run_progress"),
    path("<str:pk>/emettre/", views.run_issue, name="run_issue"),
    path("<str:pk>/reprendre/", views.run_resume, name="run_resume"),
    path("<str:pk>/recalculer/", views.run_rerun, name="run_rerun"),
    path("<str:pk>/export.csv", views.run_export, name="run_export"),
    path("factures/<str:pk>/", views.invoice_detail, name="invoice_detail"),
    path("factures/<str:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("regles/<str:pk>/export/", views.rules_export, name="rules_export"),
]
