"""The bookings' admin URLs, mounted under /admin/reservations/ by wagtail_hooks.py."""

from django.urls import path

from . import calendar, certificates, families, headcounts

app_name = "bookings_backoffice"

urlpatterns = [
    path(
        "calendriers/<int:pk>/",
        calendar.schedule_calendar,
        name="schedule_calendar",
    ),
    path("effectifs/", headcounts.headcount_view, name="headcounts"),
    path(
        "familles/<int:family_pk>/",
        families.family_bookings,
        name="family_bookings",
    ),
    path(
        "guichet/<int:enrolment_pk>/",
        families.counter_month,
        name="counter_month",
    ),
    path("certificats/", certificates.certificate_queue, name="certificate_queue"),
    path(
        "certificats/<int:pk>/",
        certificates.certificate_check,
        name="certificate_check",
    ),
    path(
        "certificats/<int:pk>/fichier/",
        certificates.certificate_file,
        name="certificate_file",
    ),
]
