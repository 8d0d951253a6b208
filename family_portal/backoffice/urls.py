"""Back-office URLs, mounted under /admin/famille/ by family_portal/wagtail_hooks.py
(Wagtail wraps them in its admin-access check; each view checks its permissions)."""

from django.urls import path

from . import views

app_name = "family_backoffice"

urlpatterns = [
    path("justificatifs/<int:pk>/", views.document_check, name="document_check"),
    path("justificatifs/<int:pk>/fichier/", views.document_file, name="document_file"),
    path("enfants/<int:pk>/photo.jpg", views.child_photo, name="child_photo"),
    path("qf-a-verifier/", views.qf_pending_queue, name="qf_pending"),
    path(
        "familles/<int:pk>/actualiser-qf/", views.family_refresh, name="family_refresh"
    ),
    path(
        "familles/<int:family_pk>/saisir-qf/", views.quotient_add, name="quotient_add"
    ),
    path("periodes/", views.period_list, name="period_list"),
    path("periodes/<int:pk>/", views.period_detail, name="period_detail"),
    path("periodes/<int:pk>/places/", views.period_capacity, name="period_capacity"),
    path("periodes/<int:pk>/recalculer/", views.period_reprice, name="period_reprice"),
    path(
        "inscriptions/<int:pk>/recalculer/",
        views.enrolment_reprice,
        name="enrolment_reprice",
    ),
    path(
        "inscriptions/<int:pk>/tarif/",
        views.enrolment_override,
        name="enrolment_override",
    ),
    path(
        "inscriptions/<int:pk>/annuler/",
        views.enrolment_cancel,
        name="enrolment_cancel",
    ),
    path(
        "inscriptions/<int:pk>/inscrire/",
        views.enrolment_promote,
        name="enrolment_promote",
    ),
    path("campagne-qf/", views.campaign_list, name="campaign_list"),
    path(
        "campagne-qf/<uuid:pk>/",
        views.campaign_detail,
        name="campaign_detail",
    ),
    path(
        "campagne-qf/<uuid:pk>/etat/",
        views.campaign_status,
        name="campaign_status",
    ),
    path(
        "campagne-qf/<uuid:pk>/reprendre/",
        views.campaign_resume,
        name="campaign_resume",
    ),
    path("guichet/", views.counter_search, name="counter_search"),
    path("guichet/<int:family_pk>/", views.counter_enrol, name="counter_enrol"),
]
