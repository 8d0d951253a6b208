from django.urls import path

from . import views

app_name = "family_portal"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("creer/", views.family_create, name="family_create"),
    path("adresse/", views.family_edit, name="family_edit"),
    path("responsables/ajouter/", views.guardian_edit, name="guardian_add"),
    path("responsables/<int:pk>/", views.guardian_edit, name="guardian_edit"),
    path("enfants/ajouter/", views.child_edit, name="child_add"),
    path("enfants/<int:pk>/", views.child_edit, name="child_edit"),
]
