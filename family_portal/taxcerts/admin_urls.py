"""The agents' screens, mounted under /admin/attestations-fiscales/ by wagtail_hooks.py."""

from django.urls import path

from . import views

app_name = "taxcerts_admin"

urlpatterns = [
    path("", views.index, name="index"),
    path("travaux/<str:pk>/", views.job_detail, name="job"),
    path("travaux/<str:pk>/avancement/", views.job_progress, name="job_progress"),
    path("travaux/<str:pk>/fichier.pdf", views.job_file, name="job_file"),
]
