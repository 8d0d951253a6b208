"""Public verification of certificates, and the agents' certificate pages."""

from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("verifier/<str:number>/<str:token>/", views.verify_view, name="verify"),
    path(
        "agents/inscriptions/<int:enrolment_id>/",
        views.agent_certificate,
        name="agent_certificate",
    ),
    path("agents/<str:number>/annuler/", views.agent_revoke, name="revoke"),
    path("agents/lots/", views.batch_new, name="batch_new"),
    path("agents/lots/<uuid:pk>/", views.batch_detail, name="batch_detail"),
    path("agents/lots/<uuid:pk>/etat/", views.batch_status, name="batch_status"),
    path(
        "agents/lots/<uuid:pk>/attestations.pdf",
        views.batch_file,
        name="batch_file",
    ),
]
