"""The billing rules' booking deadline of a service, for the other apps: bookings warns
agents when its own deadline differs (a cancellation in time online would be billed as
late, or the other way round). A small service function, so that nobody reads the
billing models directly."""

from __future__ import annotations

from activities.billing_rules import Deadline

from .models import ServiceRules


def billing_deadline(activity_id: int) -> Deadline | None:
    """The ``deadline`` of the activity's billing rules, or None when the service has no
    billing rules yet."""
    rules = (
        ServiceRules.objects.filter(activity_id=activity_id)
        .only(
            "deadline_days_before",
            "deadline_at",
            "deadline_count",
            "deadline_holidays",
        )
        .first()
    )
    if rules is None:
        return None
    return Deadline(
        days_before=rules.deadline_days_before,
        at=rules.deadline_at,
        count=rules.deadline_count,
        holidays=rules.deadline_holidays,
    )
