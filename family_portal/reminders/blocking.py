"""A commune's rule (``BLOCK_ENROLMENT_WHEN_UNPAID``, off by default): invoices of a past
year still unpaid after their due date block a family's new online enrolments. The
enrolment wizard asks through its refusal hook (registered in wagtail_hooks.py); agents
still enrol at the counter, which never asks."""

from __future__ import annotations

from django.conf import settings
from django.template.response import TemplateResponse
from django.utils import timezone

from home.models import CommuneSettings

from . import owed


def enrolment_refusal(request, family, activity):
    """The page that refuses the wizard, or None when the family may enrol."""
    if not settings.BLOCK_ENROLMENT_WHEN_UNPAID:
        return None
    debt = owed.past_years_debt(family, timezone.localdate())
    if debt is None:
        return None
    commune = CommuneSettings.for_request(request)
    return TemplateResponse(
        request,
        "reminders/enrolment_refused.html",
        {
            "activity": activity,
            "debt": debt,
            "opening_hours": commune.opening_hours.strip(),
            "commune": commune,
        },
    )
