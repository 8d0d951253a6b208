"""What a family paid in a calendar year for the childcare of each child under 6.

- **Childcare** is a service whose billing rules say so (``ServiceRules.childcare``,
  ticked by the agents for care outside the home: after-school care, leisure centre,
  crèche; never the canteen, since meals are excluded). Lines of other services, and
  corrections an agent typed without a service, do not count.
- **Under 6 on 1 January** of the year, as the tax administration reads it: born on or
  after 1 January of (year − 6) — a child born on 1 January 2019 counts for 2025's
  payments, one born on 31 December 2018 does not. A child born during the year counts.
- **Paid in the year**: the money allocated to each invoice with a payment date in the
  calendar year (``payments.services.paid_between``), whatever the invoice's month.
- **A partly paid invoice** pays all its lines in the same proportion: a child's share
  of a payment P on an invoice of total T is P × (that child's childcare lines) / T,
  rounded half up to the cent, never below 0 nor above those lines (lines in the
  family's favour, such as a regularisation, lower the child's lines). Credit notes are
  not spread over lines (they name no line): what the family paid is what counts.
- **Net of what was given back**: a payment cancelled (a returned debit, one entered by
  mistake) counts for nothing; a credit note on an invoice already paid gives money back
  to the family's credit (a negative row on the invoice, the day of the credit note),
  which counts only where that credit pays again. Given back in a later year, it lowers
  that year's amount of the child (prorated the same way), never below 0.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from family_portal.billing.models import Invoice, InvoiceLine, ServiceRules
from family_portal.payments.services import paid_between

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def born_from(year: int) -> datetime.date:
    """The earliest birth date of a child under 6 on 1 January of ``year``."""
    return datetime.date(year - 6, 1, 1)


def childcare_activities() -> list[int]:
    return list(
        ServiceRules.objects.filter(childcare=True).values_list(
            "activity_id", flat=True
        )
    )


def _lines(year: int, family_ids=None):
    lines = InvoiceLine.objects.filter(
        invoice__kind=Invoice.Kind.INVOICE,
        invoice__issue_date__lte=datetime.date(year, 12, 31),
        activity_id__in=childcare_activities(),
        child__birth_date__gte=born_from(year),
        child__birth_date__lte=datetime.date(year, 12, 31),
    )
    if family_ids is not None:
        lines = lines.filter(invoice__family_id__in=list(family_ids))
    return lines


def families_concerned(year: int) -> list[int]:
    """Families with childcare lines of young children on an invoice issued by the end
    of ``year`` (maybe paid during it): the January run looks at each."""
    return sorted(set(_lines(year).values_list("invoice__family_id", flat=True)))


def paid_for_childcare(year: int, family_ids) -> dict[int, dict[int, Decimal]]:
    """family id → {child id → amount paid in ``year`` for that child's childcare},
    children with nothing paid left out, families with nothing left out."""
    per_invoice: dict[int, dict[int, Decimal]] = defaultdict(
        lambda: defaultdict(lambda: ZERO)
    )
    families, totals = {}, {}
    for row in (
        _lines(year, family_ids)
        .values("invoice_id", "invoice__family_id", "invoice__total", "child_id")
        .annotate(amount=Sum("amount"))
    ):
        invoice = row["invoice_id"]
        per_invoice[invoice][row["child_id"]] += row["amount"]
        families[invoice] = row["invoice__family_id"]
        totals[invoice] = row["invoice__total"]
    paid = paid_between(
        list(per_invoice), datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    )
    found: dict[int, dict[int, Decimal]] = defaultdict(
        lambda: defaultdict(lambda: ZERO)
    )
    for invoice, children in per_invoice.items():
        payment, total = paid.get(invoice, ZERO), totals[invoice]
        if payment == 0 or total <= 0:
            continue
        for child, lines in children.items():
            share = (payment * lines / total).quantize(CENT, rounding=ROUND_HALF_UP)
            bound = max(lines, ZERO)
            found[families[invoice]][child] += min(max(share, -bound), bound)
    return {
        family: {child: amount for child, amount in children.items() if amount > 0}
        for family, children in found.items()
        if any(amount > 0 for amount in children.values())
    }
