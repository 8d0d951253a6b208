"""What families owe: invoices past their due date with something left to pay, the ones
no reminder may chase (paid by a debit in progress, covered by a credit), and the unpaid
invoices of past years that may block new enrolments."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractYear

from family_portal.billing.models import Invoice

from . import hooks

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=12, decimal_places=2)


def with_credited(invoices):
    """Annotate ``credited_sum`` (its credit notes) and ``left`` (what is still owed)."""
    credited = (
        Invoice.objects.filter(credited_invoice=OuterRef("pk"))
        .values("credited_invoice")
        .annotate(amount=Sum("total"))
        .values("amount")
    )
    return invoices.annotate(
        credited_sum=Coalesce(Subquery(credited, output_field=MONEY), Value(ZERO)),
        left=ExpressionWrapper(
            F("total") - F("credited_sum") - F("paid_amount"), output_field=MONEY
        ),
    )


def overdue(today: datetime.date):
    """Invoices (never credit notes) past their due date with something left to pay."""
    return with_credited(
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, due_date__lt=today)
    ).filter(left__gt=0)


def billing_credits(pairs) -> dict[tuple[int, int], Decimal]:
    """The credit billing knows of, per family and régie: what was paid or credited
    beyond an invoice's amount (a credit note issued on an invoice already paid)."""
    families = {family for family, _regie in pairs}
    rows = (
        with_credited(
            Invoice.objects.filter(kind=Invoice.Kind.INVOICE, family_id__in=families)
        )
        .filter(left__lt=0)
        .values_list("family_id", "regie_id", "left")
    )
    found: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for family, regie, left in rows:
        found[(family, regie)] -= left
    return found


def exemptions(invoices) -> dict[int, str]:
    """Among ``invoices`` (annotated with ``left``), those nobody may chase, and why:
    a direct debit in progress, or a credit of the family at the régie that covers
    what is left (shared out oldest first)."""
    invoices = list(invoices)
    found = dict.fromkeys(hooks.under_debit(invoices), "debit")
    available = hooks.credits({(i.family_id, i.regie_id) for i in invoices})
    # One credit covers several invoices only as far as it goes, oldest first.
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.pk)):
        if invoice.pk in found:
            continue
        pair = (invoice.family_id, invoice.regie_id)
        if available.get(pair, ZERO) >= invoice.left:
            available[pair] -= invoice.left
            found[invoice.pk] = "credit"
    return found


@dataclass(frozen=True)
class Debt:
    """A family's unpaid invoices of past years."""

    invoices: list
    total: Decimal


def past_years_debt(family, today: datetime.date) -> Debt | None:
    """The family's invoices of a past year (the month billed, else the issue date)
    still unpaid after their due date, less those a debit or a credit settles."""
    invoices = list(
        overdue(today)
        .filter(family=family)
        .annotate(year=ExtractYear(Coalesce("month", "issue_date")))
        .filter(year__lt=today.year)
        .select_related("regie")
        .order_by("due_date", "pk")
    )
    exempt = exemptions(invoices)
    owed = [invoice for invoice in invoices if invoice.pk not in exempt]
    if not owed:
        return None
    return Debt(owed, sum((invoice.left for invoice in owed), ZERO))
