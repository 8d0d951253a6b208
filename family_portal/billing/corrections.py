"""Corrections after an invoice is sent, which is never rewritten: a credit note (avoir)
against it, with its reason, or a correction line on the family's next invoice. Each
says who made it and when."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from activities.pricing.formatting import format_money
from family_portal.models import Family

from . import numbering, tasks
from .models import Adjustment, Invoice, InvoiceLine
from .signals import credit_note_issued

CENT = Decimal("0.01")


class CorrectionRefused(ValueError):
    """The message is French, for the agent."""


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", ".").replace("\u202f", "").strip())
    except InvalidOperation:
        raise CorrectionRefused(
            "Le montant doit être un nombre, par exemple 12,50."
        ) from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise CorrectionRefused(
            "Le montant se donne au centime près, par exemple 12,50."
        )
    return amount


@transaction.atomic
def issue_credit_note(
    invoice: Invoice, amount, reason: str, *, user, today=None
) -> Invoice:
    """A numbered credit note of ``amount`` against a sent invoice; the invoice itself
    is left as it was sent. What was already paid beyond its new net amount becomes
    the family's credit (payments hears ``credit_note_issued``)."""
    # The family first, then the invoice: the order payments locks them in.
    Family.objects.select_for_update().filter(pk=invoice.family_id).values_list(
        "pk"
    ).get()
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_credit_note:
        raise CorrectionRefused("Un avoir ne peut pas être annulé par un autre avoir.")
    amount = _amount(amount)
    reason = (reason or "").strip()
    if not reason:
        raise CorrectionRefused("Indiquez le motif de l'avoir : la famille le lira.")
    credited = invoice.credit_notes.aggregate(total=Sum("total"))["total"] or 0
    left = invoice.total - credited
    if amount <= 0:
        raise CorrectionRefused("Le montant de l'avoir doit être positif.")
    if amount > left:
        raise CorrectionRefused(
            f"L'avoir ne peut dépasser ce qui reste de la facture : {format_money(left)}."
        )
    today = today or timezone.localdate()
    (number,) = numbering.allocate(invoice.regie, today.year, 1, credit_note=True)
    note = Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE,
        regie=invoice.regie,
        family=invoice.family,
        number=number,
        issue_date=today,
        total=amount,
        credited_invoice=invoice,
        reason=reason,
        created_by=user,
    )
    InvoiceLine.objects.create(
        invoice=note,
        date=today,
        case=InvoiceLine.CREDIT,
        quantity=1,
        unit_price=amount,
        amount=amount,
        explanation=f"Avoir sur la facture n° {invoice.number} : {reason}",
    )
    credit_note_issued.send(sender=Invoice, credit_note=note, user=user)
    tasks.lay_out_on_commit([note.pk])
    return note


def add_correction(
    regie, family, amount, reason: str, *, user, child=None
) -> Adjustment:
    """A line (positive or negative) for the family's next invoice of the régie."""
    amount = _amount(amount)
    reason = (reason or "").strip()
    if amount == 0:
        raise CorrectionRefused("Une correction de 0 € ne change rien.")
    if not reason:
        raise CorrectionRefused(
            "Indiquez le motif de la correction : la famille le lira."
        )
    return Adjustment.objects.create(
        regie=regie,
        family=family,
        child=child,
        amount=amount,
        reason=reason,
        created_by=user,
    )
