"""The agents' audit trail: one AgentAction row per action (price changes have their
own rows, EnrolmentPriceChange, written by family_portal.enrolment)."""

from __future__ import annotations

from decimal import Decimal

from ..models import AgentAction, QuotientRecord
from ..models.audit_text import describe, display_value, price_state  # noqa: F401 - re-exported

CENTS = Decimal("0.01")


def quotient_summary(record: QuotientRecord | None) -> dict | None:
    """A QF record as the audit keeps it: value, organisation, source and month."""
    if record is None:
        return None
    return {
        "id": record.pk,
        "value": str(Decimal(record.value).quantize(CENTS)),
        "provider": record.provider,
        "source": record.source,
        "month": record.month.isoformat(),
        "formula": record.formula,
        "flags": list(record.flags or []),
    }


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def record_action(
    kind: str,
    user,
    *,
    family=None,
    enrolment=None,
    document=None,
    reason: str = "",
    before=None,
    after=None,
) -> AgentAction:
    return AgentAction.objects.create(
        kind=kind,
        user=user if getattr(user, "is_authenticated", False) else None,
        family=family,
        enrolment=enrolment,
        document=document,
        reason=reason,
        before=_jsonable(before),
        after=_jsonable(after),
    )
