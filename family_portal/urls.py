from django.urls import include, path

from . import views
from .certificates import views as certificate_views
from .wizard import EnrolmentWizard

enrol = EnrolmentWizard.as_view(
    url_name="family_portal:enrol_step", done_step_name="termine"
)

app_name = "family_portal"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("creer/", views.family_create, name="family_create"),
    path("adresse/", views.family_edit, name="family_edit"),
    path("responsables/ajouter/", views.guardian_edit, name="guardian_add"),
    path("responsables/<int:pk>/", views.guardian_edit, name="guardian_edit"),
    path("enfants/ajouter/", views.child_edit, name="child_add"),
    path("enfants/<int:pk>/", views.child_edit, name="child_edit"),
    path("enfants/<int:pk>/photo/", views.child_photo_edit, name="child_photo_edit"),
    path("enfants/<int:pk>/photo.jpg", views.child_photo, name="child_photo"),
    path("inscription/<int:activity_id>/", enrol, name="enrol"),
    path("inscription/<int:activity_id>/<str:step>/", enrol, name="enrol_step"),
    path("inscriptions/resultat/", views.enrolment_result, name="enrolment_result"),
    path("quotient/consultations/", views.qf_lookups, name="qf_lookups"),
    path(
        "inscriptions/<uuid:reference>/attestation/",
        certificate_views.parent_download,
        name="certificate",
    ),
    path("reservations/", include("family_portal.bookings.urls")),
    path("factures/", include("family_portal.billing.urls")),
    path("attestations-fiscales/", include("family_portal.taxcerts.urls")),
    path("paiements/", include("family_portal.payments.urls")),
    path("prelevement/", include("family_portal.directdebit.urls")),
]
