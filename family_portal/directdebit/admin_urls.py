"""The direct-debit screens' URLs, mounted under /admin/prelevements/."""

from django.urls import path

from . import admin_views as views

app_name = "directdebit_admin"

urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("exporter/", views.batch_export, name="batch_export"),
    path("<str:pk>/", views.batch_detail, name="batch_detail"),
    path("<str:pk>/fichier.xml", views.batch_file, name="batch_file"),
    path("lignes/<str:pk>/rejet/", views.line_return, name="line_return"),
]
