"""Signing, replacing, revoking and suspending a family's mandate (each leaves a
``MandateEvent``), and what a debit of an invoice needs to know about it."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from family_portal.models import Family

from .identifiers import check_account, new_mandate_reference
from .models import DebitLine, Mandate, MandateEvent


class MandateRefused(Exception):
    """The message is for the parent (French)."""


def offered() -> bool:
    """Direct debit is offered once the commune has its creditor identifier."""
    return bool(settings.SEPA_CREDITOR_ID)


def active_mandate(family) -> Mandate | None:
    return Mandate.objects.filter(family=family, status=Mandate.Status.ACTIVE).first()


def sign(
    family,
    *,
    user,
    holder_name: str,
    street: str,
    postcode: str,
    city: str,
    iban: str,
    bic: str = "",
    now=None,
) -> Mandate:
    """A new active mandate for ``family``; the one it had (if any) is replaced."""
    if not offered():
        raise MandateRefused("La commune ne propose pas le prélèvement automatique.")
    account = check_account(iban, bic)  # InvalidAccount: a French message
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        Family.objects.select_for_update().filter(pk=family.pk).values_list("pk").get()
        previous = active_mandate(family)
        if previous is not None:
            _end(
                previous, Mandate.Status.REPLACED, MandateEvent.Kind.REPLACED, user, now
            )
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    mandate = Mandate.objects.create(
                        family=family,
                        reference=new_mandate_reference(family.pk, today),
                        creditor_id=settings.SEPA_CREDITOR_ID,
                        holder_name=holder_name.strip(),
                        street=street.strip(),
                        postcode=postcode.strip(),
                        city=city.strip(),
                        iban=account.iban,
                        bic=account.bic,
                        signed_on=today,
                        signed_at=now,
                        signed_by=user,
                    )
                break
            except IntegrityError:  # the same reference drawn twice: draw again
                continue
        else:
            raise MandateRefused("Le mandat n'a pas pu être enregistré : réessayez.")
        MandateEvent.objects.create(
            mandate=mandate,
            kind=MandateEvent.Kind.SIGNED,
            at=now,
            by=user,
            reason=f"remplace le mandat {previous.reference}" if previous else "",
        )
    return mandate


def _end(mandate, status, kind, user, now, *, by_agent=False, reason="") -> None:
    Mandate.objects.filter(pk=mandate.pk).update(status=status, ended_at=now)
    mandate.status, mandate.ended_at = status, now
    MandateEvent.objects.create(
        mandate=mandate, kind=kind, at=now, by=user, by_agent=by_agent, reason=reason
    )


def revoke(mandate: Mandate, *, user, reason: str = "") -> Mandate:
    """The family revokes its mandate: no invoice is put in a debit file any more
    (debits already sent to the bank go on: the family may ask its bank to refuse)."""
    with transaction.atomic():
        mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if not mandate.is_active:
            raise MandateRefused("Ce mandat n'est plus actif.")
        _end(
            mandate,
            Mandate.Status.REVOKED,
            MandateEvent.Kind.REVOKED,
            user,
            timezone.now(),
            reason=reason.strip(),
        )
    return mandate


def suspend(mandate: Mandate, *, by, reason: str) -> Mandate:
    """A return said the account is closed (or the mandate refused): no more debits."""
    with transaction.atomic():
        mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if mandate.is_active:
            _end(
                mandate,
                Mandate.Status.SUSPENDED,
                MandateEvent.Kind.SUSPENDED,
                by,
                timezone.now(),
                by_agent=True,
                reason=reason,
            )
    return mandate


def sequence_of(mandate: Mandate) -> str:
    """FRST for the first debit of a mandate (or while every earlier one was refused
    before it was collected), RCUR after."""
    earlier = DebitLine.objects.filter(mandate=mandate).exclude(
        status=DebitLine.Status.RETURNED, payment__isnull=True
    )
    return (
        DebitLine.Sequence.RECURRENT if earlier.exists() else DebitLine.Sequence.FIRST
    )


def notice_date(invoice, mandate: Mandate) -> datetime.date:
    """The day the family learnt this invoice would be debited: the invoice's (it says
    so), or the mandate's when it was signed later (its page lists the open invoices)."""
    return max(invoice.issue_date, mandate.signed_on)


def debit_date(invoice, mandate: Mandate | None) -> datetime.date | None:
    """When the invoice will be debited under ``mandate``: its due date, if the family
    had the notice period before it; else None (the family pays another way)."""
    if mandate is None or invoice.due_date is None or invoice.is_credit_note:
        return None
    notice = datetime.timedelta(days=settings.SEPA_PRENOTIFICATION_DAYS)
    if notice_date(invoice, mandate) + notice > invoice.due_date:
        return None
    return invoice.due_date


def too_late_for_the_bank(
    when: datetime.date, today: datetime.date | None = None
) -> bool:
    """A debit on ``when`` that a file made ``today`` cannot reach the bank in time
    for (``SEPA_SUBMISSION_DAYS`` before the debit): the family pays another way."""
    today = today or timezone.localdate()
    return when < today + datetime.timedelta(days=settings.SEPA_SUBMISSION_DAYS)
