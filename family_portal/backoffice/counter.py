"""Counter mode: an agent enrols children for a family at the desk, with the same
pricing and confirmation as the parents' wizard (family_portal.enrolment)."""

from __future__ import annotations

from .. import enrolment as enrolments
from ..models import AgentAction, Enrolment
from .audit import record_action
from .mail import send_family_mail

# The QF sources an agent chooses from at the desk.
RECORD = "record"
DOCUMENT = "document"
NONE = "none"


def qf_choice(family, source: str) -> enrolments.QfChoice:
    if source == RECORD:
        quotient = family.current_quotient()
        if quotient is not None:
            return enrolments.QfChoice(Enrolment.QfSource.RECORD, quotient)
    if source == DOCUMENT:
        return enrolments.QfChoice(Enrolment.QfSource.DOCUMENT)
    return enrolments.QfChoice(Enrolment.QfSource.NONE)


def preview(family, commune, period, children, qf):
    """The price of each child as it would be confirmed now, and the places left."""
    _version, planned = enrolments.plan(family, commune, period, children, qf)
    return planned, enrolments.places_left(period)


def enrol_at_counter(family, commune, period, children, qf, *, user):
    """Enrol (or put on the waiting list) each child; returns (new, already enrolled)."""
    already = set(
        Enrolment.objects.active()
        .filter(period=period, child__in=children)
        .values_list("pk", flat=True)
    )
    result = enrolments.confirm(family, commune, period, children, qf, user=user)
    new = [item for item in result if item.pk not in already]
    for item in new:
        record_action(
            AgentAction.Kind.COUNTER_ENROLMENT,
            user,
            family=family,
            enrolment=item,
            after={
                "status": item.status,
                "amount": item.amount,
                "qf_source": item.qf_source,
            },
        )
    if new:
        # The parents' wizard sends this very e-mail: same template, same words.
        send_family_mail(
            family,
            f"Inscription : {period.activity.title}",
            "family_portal/email/enrolment_confirmation.txt",
            {"enrolments": new, "activity": period.activity, "commune": commune},
        )
    return new, [item for item in result if item.pk in already]
