"""URLs of the back-office screens, in one place for views, templates and admin classes."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse


def family_url(family) -> str:
    return reverse("family_portal_family_modeladmin_inspect", args=[family.pk])


def enrolment_url(enrolment) -> str:
    return reverse("family_portal_enrolment_modeladmin_inspect", args=[enrolment.pk])


# The tariff certificates' agents' views (family_portal/certificates/).
CERTIFICATE_BATCH_URL_NAME = "certificates:batch_new"
CERTIFICATE_URL_NAME = "certificates:agent_certificate"


def certificate_batch_url(period=None) -> str | None:
    """The certificates' batch-print screen (for a period), or None without it."""
    try:
        url = reverse(CERTIFICATE_BATCH_URL_NAME)
    except NoReverseMatch:
        return None
    if period is None:
        return url
    return f"{url}?activity={period.activity_id}&period={period.pk}"


def certificate_url(enrolment) -> str | None:
    """The enrolment's certificate in force (PDF), or None without the certificates."""
    try:
        return reverse(CERTIFICATE_URL_NAME, args=[enrolment.pk])
    except NoReverseMatch:
        return None


# The bookings' agents' views (family_portal/bookings/backoffice/).
FAMILY_BOOKINGS_URL_NAME = "bookings_backoffice:family_bookings"


def family_bookings_url(family) -> str | None:
    """The family's bookings in the back-office, or None without the bookings app."""
    try:
        return reverse(FAMILY_BOOKINGS_URL_NAME, args=[family.pk])
    except NoReverseMatch:
        return None
