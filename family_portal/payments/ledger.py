"""Recording money, spreading it over invoices, keeping the rest as credit, using that
credit later, and cancelling a payment entered by mistake.

The one writer of ``Invoice.paid_amount`` (always the sum of the invoice's allocations)
and of allocations. Every function locks the family's row first (``select_for_update``),
then the invoices it touches: two agents, a notification and a billing run working on the
same family at once are served one after the other, and each sees what the previous one
wrote. The database refuses an invoice paid beyond its amount whatever happens.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import DecimalField, F, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from activities.pricing.formatting import format_money
from family_portal.billing import numbering
from family_portal.billing.models import Invoice, NumberSequence, Regie
from family_portal.models import Family

from .models import COUNTER_METHODS, Allocation, Method, Payment

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAXIMUM = Decimal("100000.00")


class PaymentRefused(Exception):
    """A payment (or a reversal) that cannot be recorded; the message is French."""


class BalanceChanged(PaymentRefused):
    """What an invoice owes changed since the agent saw it (someone else paid it)."""


def receipt_number(regie: Regie, year: int, number: int) -> str:
    return f"REC-{regie.code}-{year}-{number:06d}"


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        raise PaymentRefused("Montant illisible.") from None
    if amount <= 0:
        raise PaymentRefused("Le montant doit être supérieur à zéro.")
    if amount > MAXIMUM:
        raise PaymentRefused("Le montant ne peut pas dépasser 100 000 €.")
    return amount


def _lock_family(family) -> None:
    Family.objects.select_for_update().filter(pk=family.pk).values_list("pk").get()


def open_invoices(family, regie=None):
    """The family's invoices that still owe something, oldest first (not locked)."""
    invoices = (
        Invoice.objects.filter(
            family=family, kind=Invoice.Kind.INVOICE, paid_amount__lt=F("total")
        )
        .select_related("regie")
        .annotate(credited_total=Coalesce(Sum("credit_notes__total"), ZERO))
        .order_by("issue_date", "pk")
    )
    if regie is not None:
        invoices = invoices.filter(regie=regie)
    return [invoice for invoice in invoices if invoice.outstanding() > 0]


def _locked(invoice_ids: list[int]) -> dict[int, Invoice]:
    """The invoices, locked (their rows only: not their régie's, which every payment
    to it would then wait for), each with its credit notes' total read in the same
    statement, so that ``outstanding()`` asks nothing more."""
    credited = (
        Invoice.objects.filter(credited_invoice=OuterRef("pk"))
        .order_by()
        .values("credited_invoice")
        .annotate(total=Sum("total"))
        .values("total")
    )
    rows = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(pk__in=invoice_ids)
        .select_related("regie")
        .annotate(
            credited_total=Coalesce(
                Subquery(credited, output_field=DecimalField()), ZERO
            )
        )
        .order_by("pk")
    )
    return {invoice.pk: invoice for invoice in rows}


def _regie_of(family, targets: list[Invoice], regie) -> Regie:
    regies = {invoice.regie_id for invoice in targets}
    if regie is not None:
        if regies - {regie.pk}:
            raise PaymentRefused("Ces factures sont celles d'une autre régie.")
        return regie
    if len(regies) == 1:
        return targets[0].regie
    if regies:
        raise PaymentRefused(
            "Ces factures relèvent de plusieurs régies : un paiement va à une seule "
            "régie. Choisissez la régie."
        )
    choices = list(Regie.objects.all()[:2])
    if len(choices) != 1:
        raise PaymentRefused(
            "Aucune facture à payer : choisissez la régie qui reçoit le paiement."
        )
    return choices[0]


def _targets(family, invoices, regie) -> list[Invoice]:
    """The invoices to pay, locked, in the order given (or oldest first)."""
    if invoices is None:
        ids = [invoice.pk for invoice in open_invoices(family, regie)]
    else:
        ids = [getattr(invoice, "pk", invoice) for invoice in invoices]
        if len(set(ids)) != len(ids):
            raise PaymentRefused("Une facture est choisie deux fois.")
    locked = _locked(ids)
    targets = [locked[pk] for pk in ids if pk in locked]
    if len(targets) != len(ids) or any(
        invoice.family_id != family.pk or invoice.is_credit_note for invoice in targets
    ):
        raise PaymentRefused("Ces factures ne sont pas des factures de cette famille.")
    return targets


def _pay(invoice: Invoice, payment: Payment, amount, kind, on, by) -> Allocation:
    row = Allocation.objects.create(
        payment=payment, invoice=invoice, kind=kind, amount=amount, on=on, created_by=by
    )
    Invoice.objects.filter(pk=invoice.pk).update(paid_amount=F("paid_amount") + amount)
    invoice.paid_amount += amount
    return row


def record_payment(
    family,
    amount,
    method,
    *,
    received_on: datetime.date,
    recorded_by,
    invoices: Iterable | None = None,
    reference: str = "",
    bank: str = "",
    payer: str = "",
    note: str = "",
    regie: Regie | None = None,
    expected_outstanding: dict[int, Decimal] | None = None,
    operation=None,
    recorded_at=None,
) -> Payment:
    """Record money received from ``family``: it pays ``invoices`` in the order given
    (by default the family's open invoices of the régie, oldest first), each up to what
    it owes, and what is left goes to the family's credit.

    ``expected_outstanding`` ({invoice id: amount the agent saw owing}) refuses with
    ``BalanceChanged`` when one changed meanwhile. A counter payment gets the régie's
    next receipt number. Raises ``PaymentRefused`` (French message) for bad input.
    """
    amount = _amount(amount)
    if method not in Method.values:
        raise PaymentRefused("Moyen de paiement inconnu.")
    if (method == Method.ONLINE) != (operation is not None):
        raise PaymentRefused("Un paiement en ligne vient seulement de PayFiP.")
    if method == Method.CHEQUE and not reference.strip():
        raise PaymentRefused("Indiquez le numéro du chèque.")
    recorded_at = recorded_at or timezone.now()
    with transaction.atomic():
        _lock_family(family)
        targets = _targets(family, invoices, regie)
        regie = _regie_of(family, targets, regie)
        for invoice in targets:
            seen = (expected_outstanding or {}).get(invoice.pk)
            if seen is not None and Decimal(seen) != invoice.outstanding():
                raise BalanceChanged(
                    f"La facture {invoice.number} a changé entre-temps (un autre "
                    f"paiement vient d'être enregistré) : il reste "
                    f"{format_money(invoice.outstanding())} à payer. Vérifiez puis validez de "
                    "nouveau."
                )
        payment = Payment.objects.create(
            regie=regie,
            family=family,
            method=method,
            amount=amount,
            received_on=received_on,
            reference=reference.strip(),
            bank=bank.strip(),
            payer=payer.strip(),
            note=note.strip(),
            operation=operation,
            recorded_at=recorded_at,
            recorded_by=recorded_by,
        )
        if method in COUNTER_METHODS:
            year = timezone.localtime(recorded_at).year
            (number,) = numbering.next_numbers(
                regie, year, NumberSequence.Series.RECEIPT, 1
            )
            payment.receipt_number = receipt_number(regie, year, number)
            payment.save(update_fields=["receipt_number"])
        left = amount
        for invoice in targets:
            take = min(left, invoice.outstanding())
            if take > 0:
                _pay(
                    invoice,
                    payment,
                    take,
                    Allocation.Kind.ALLOCATION,
                    received_on,
                    recorded_by,
                )
                left -= take
        if left > 0:
            Allocation.objects.create(
                payment=payment,
                kind=Allocation.Kind.CREDIT,
                amount=left,
                on=received_on,
                created_by=recorded_by,
            )
    return payment


def credit_of(family, regie=None) -> Decimal:
    """The family's credit (overpayments not used yet), in one régie or all."""
    rows = Allocation.objects.filter(invoice__isnull=True, payment__family=family)
    if regie is not None:
        rows = rows.filter(payment__regie=regie)
    return rows.aggregate(total=Sum("amount"))["total"] or ZERO


def _credit_sources(family, regie) -> list[tuple[Payment, Decimal]]:
    """The payments whose credit is left, oldest first, locked."""
    rows = (
        Allocation.objects.filter(
            invoice__isnull=True, payment__family=family, payment__regie=regie
        )
        .values("payment_id")
        .annotate(left=Sum("amount"))
        .filter(left__gt=0)
    )
    left = {row["payment_id"]: row["left"] for row in rows}
    payments = Payment.objects.select_for_update().filter(pk__in=left)
    return [
        (payment, left[payment.pk])
        for payment in payments.order_by("received_on", "pk")
    ]


def use_credit(
    family, *, regie: Regie, invoices: Iterable | None = None, by=None
) -> Decimal:
    """Use the family's credit in ``regie`` on ``invoices`` (by default its open
    invoices, oldest first), the oldest credit first; returns the amount used."""
    today = timezone.localdate()
    used = ZERO
    with transaction.atomic():
        _lock_family(family)
        targets = _targets(family, invoices, regie)
        if any(invoice.regie_id != regie.pk for invoice in targets):
            raise PaymentRefused("Ces factures sont celles d'une autre régie.")
        sources = _credit_sources(family, regie)
        for invoice in targets:
            while sources and invoice.outstanding() > 0:
                payment, left = sources[0]
                take = min(left, invoice.outstanding())
                Allocation.objects.create(
                    payment=payment,
                    kind=Allocation.Kind.CREDIT_USE,
                    amount=-take,
                    on=today,
                    created_by=by,
                )
                _pay(invoice, payment, take, Allocation.Kind.CREDIT_USE, today, by)
                used += take
                if take == left:
                    sources.pop(0)
                else:
                    sources[0] = (payment, left - take)
    return used


def use_credit_on_issued(invoice_ids: list[int]) -> Decimal:
    """Billing issued these invoices: each family's credit in the invoice's régie pays
    it (in the caller's transaction). One query finds the few families with credit."""
    if not invoice_ids:
        return ZERO
    issued = list(
        Invoice.objects.filter(pk__in=invoice_ids, kind=Invoice.Kind.INVOICE)
        .select_related("family", "regie")
        .order_by("issue_date", "pk")
    )
    with_credit = {
        (row["payment__family_id"], row["payment__regie_id"])
        for row in Allocation.objects.filter(
            invoice__isnull=True,
            payment__family_id__in={invoice.family_id for invoice in issued},
        )
        .values("payment__family_id", "payment__regie_id")
        .annotate(left=Sum("amount"))
        .filter(left__gt=0)
    }
    used = ZERO
    for invoice in issued:
        if (invoice.family_id, invoice.regie_id) in with_credit:
            used += use_credit(invoice.family, regie=invoice.regie, invoices=[invoice])
    return used


def credit_what_a_credit_note_frees(credit_note: Invoice, *, by=None) -> Decimal:
    """A credit note was issued against an invoice already (partly) paid: what was
    paid beyond the invoice's new net amount leaves the invoice for the family's
    credit, taken from the payments that paid it, the latest first (each keeps rows
    adding up to its amount, and a reversal later mirrors them). Returns the amount."""
    if not credit_note.is_credit_note or credit_note.credited_invoice_id is None:
        return ZERO
    with transaction.atomic():
        _lock_family(credit_note.family)
        invoice = _locked([credit_note.credited_invoice_id])[
            credit_note.credited_invoice_id
        ]
        excess = invoice.paid_amount - max(invoice.total - invoice.credited(), ZERO)
        if excess <= 0:
            return ZERO
        paid_by = (
            Allocation.objects.filter(invoice=invoice)
            .values("payment_id")
            .annotate(net=Sum("amount"), last=Max("pk"))
            .filter(net__gt=0)
            .order_by("-last")
        )
        payments = Payment.objects.in_bulk([row["payment_id"] for row in paid_by])
        left = excess
        for row in paid_by:
            take = min(left, row["net"])
            payment = payments[row["payment_id"]]
            for target, amount in ((invoice.pk, -take), (None, take)):
                Allocation.objects.create(
                    payment=payment,
                    invoice_id=target,
                    kind=Allocation.Kind.CREDITED,
                    amount=amount,
                    on=credit_note.issue_date,
                    credit_note=credit_note,
                    created_by=by,
                )
            left -= take
            if left <= 0:
                break
        moved = excess - left
        Invoice.objects.filter(pk=invoice.pk).update(
            paid_amount=F("paid_amount") - moved
        )
    return moved


def reverse_payment(payment: Payment, *, reason: str, by) -> Payment:
    """Cancel a payment entered by mistake: each of its rows gets its mirror (invoices
    owe again what it paid, its credit is taken back), and the payment keeps the reason,
    who and when. An online payment is PayFiP's: it is never cancelled here."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentRefused("Indiquez le motif de l'annulation.")
    with transaction.atomic():
        _lock_family(payment.family)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.is_reversed:
            raise PaymentRefused("Ce paiement est déjà annulé.")
        if payment.method == Method.ONLINE:
            raise PaymentRefused(
                "Un paiement en ligne ne s'annule pas ici : le remboursement passe "
                "par le comptable public."
            )
        rows = list(payment.allocations.filter(reverses__isnull=True).order_by("pk"))
        _locked([row.invoice_id for row in rows if row.invoice_id])
        now = timezone.now()
        # One change per invoice, by the payment's net on it: its rows one by one
        # (a payment, then a credit note's return) could cross the invoice's bounds.
        net: dict[int, Decimal] = {}
        for row in rows:
            Allocation.objects.create(
                payment=payment,
                invoice_id=row.invoice_id,
                kind=Allocation.Kind.REVERSAL,
                amount=-row.amount,
                on=row.on,
                reverses=row,
                created_at=now,
                created_by=by,
            )
            if row.invoice_id:
                net[row.invoice_id] = net.get(row.invoice_id, ZERO) + row.amount
        for invoice_id, amount in net.items():
            if amount:
                Invoice.objects.filter(pk=invoice_id).update(
                    paid_amount=F("paid_amount") - amount
                )
        payment.reversed_at, payment.reversed_by = now, by
        payment.reversal_reason = reason
        payment.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
    return payment


def paid_between(
    invoice_ids: Iterable[int], start: datetime.date, end: datetime.date
) -> dict[int, Decimal]:
    """What was paid on each invoice between ``start`` and ``end`` (both included), by
    the date the money paid it (``Allocation.on``: the payment's reception, or the day
    a credit was used); reversed payments count for nothing. Every id is a key."""
    ids = list(invoice_ids)
    paid = dict.fromkeys(ids, ZERO)
    rows = (
        Allocation.objects.filter(invoice_id__in=ids, on__gte=start, on__lte=end)
        .values("invoice_id")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        paid[row["invoice_id"]] = row["total"]
    return paid
