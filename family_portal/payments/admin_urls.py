"""The counter payments' URLs, mounted under /admin/encaissements/ by wagtail_hooks.py."""

from django.urls import path

from . import admin_views as views

app_name = "payments_admin"

urlpatterns = [
    path("", views.family_search, name="search"),
    path("export.csv", views.export_csv, name="export"),
    path("familles/<str:family_pk>/", views.family_account, name="family"),
    path(
        "familles/<str:family_pk>/avoir/",
        views.family_use_credit,
        name="use_credit",
    ),
    path("paiements/<str:pk>/", views.payment_detail, name="payment"),
    path("paiements/<str:pk>/recu.pdf", views.receipt_pdf, name="receipt"),
]
