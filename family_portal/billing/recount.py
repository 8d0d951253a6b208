"""Months already billed, counted again when their attendance was corrected after the
month was closed (``Mark.corrected``, set by the attendance app): the difference goes on
the family's next invoice as a correction line that says which days changed. The sent
invoice is never rewritten.

A month is recounted whole for the child's service: from the facts as they are now
(``facts.py``), with the rules version that billed it and the tariff now known for the
month. From that is subtracted what the month already cost: its lines (invoiced, or
carried over) at that same tariff, and the corrections already carried for it. A price
settled since (a provisional QF) is the regularisation's business (``compute.py``), so
a month can get both lines without counting anything twice; a later recount of the same
month finds nothing left to correct.

Only months of a real run (a ``ServiceMonth``) are recounted: a month not billed yet
bills its marks as they are. Corrections older than ``LOOKBACK_MONTHS`` are left to a
credit note.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from activities.billing_rules import CASES, MissingTimes, Month, compute_month
from activities.pricing.formatting import format_money
from activities.service_calendar import MONTHS
from family_portal.attendance.models import Mark
from family_portal.models import Enrolment

from . import facts as facts_module
from . import prices
from .models import InvoiceLine, ServiceMonth

ZERO = Decimal("0.00")
LOOKBACK_MONTHS = 12
BILLED_CASES = (*CASES, "forfait", "late_pickup")


@dataclass
class Recount:
    """What a corrected month now costs more (or less) than it was billed."""

    enrolment: Enrolment
    month: datetime.date
    amount: Decimal
    explanation: str
    days: list[datetime.date] = field(default_factory=list)


def _since(month: datetime.date) -> datetime.date:
    year, index = divmod(month.year * 12 + month.month - 1 - LOOKBACK_MONTHS, 12)
    return datetime.date(year, index + 1, 1)


def _corrected_marks(activity_ids, month: datetime.date):
    return Mark.objects.filter(
        corrected=True,
        date__lt=month,
        date__gte=_since(month),
        enrolment__period__activity_id__in=list(activity_ids),
    )


def families(activity_ids, month: datetime.date) -> set[int]:
    """Families with a mark corrected after closing in a recent month before
    ``month``: a run looks at them even without an enrolment this month."""
    return set(
        _corrected_marks(activity_ids, month).values_list(
            "enrolment__family_id", flat=True
        )
    )


def recount(activity_ids, family_ids, month: datetime.date) -> list[Recount]:
    """The corrections owed to (negative) or by (positive) these families, for the
    months before ``month`` whose marks were corrected after closing."""
    days: dict[tuple[int, datetime.date], list] = defaultdict(list)
    for enrolment_id, day in (
        _corrected_marks(activity_ids, month)
        .filter(enrolment__family_id__in=list(family_ids))
        .values_list("enrolment_id", "date")
    ):
        days[(enrolment_id, day.replace(day=1))].append(day)
    if not days:
        return []
    sections = {
        (section.enrolment_id, section.month): section
        for section in ServiceMonth.objects.filter(
            enrolment_id__in={key[0] for key in days},
            month__in={key[1] for key in days},
        ).select_related("rules_version")
    }
    keys = sorted((key for key in days if key in sections), key=lambda k: (k[1], k[0]))
    if not keys:
        return []
    enrolments = {
        e.pk: e
        for e in Enrolment.objects.filter(
            pk__in={key[0] for key in keys}
        ).select_related("child", "period")
    }
    tariffs = prices.timelines(list(enrolments.values()))
    billed: dict[int, list[dict]] = defaultdict(list)
    for line in InvoiceLine.objects.filter(
        section__in=[sections[key] for key in keys], case__in=BILLED_CASES
    ).values("section_id", "case", "quantity", "amount", "base_price"):
        billed[line["section_id"]].append(line)
    done: dict[tuple[int, datetime.date], Decimal] = defaultdict(lambda: ZERO)
    for enrolment_id, corrected_month, amount in InvoiceLine.objects.filter(
        case=InvoiceLine.CORRECTION,
        enrolment_id__in={key[0] for key in keys},
        regularised_month__in={key[1] for key in keys},
    ).values_list("enrolment_id", "regularised_month", "amount"):
        done[(enrolment_id, corrected_month)] += amount
    found = []
    for first in sorted({key[1] for key in keys}):
        last = (first + datetime.timedelta(days=32)).replace(day=1)
        last -= datetime.timedelta(days=1)
        ids = [key[0] for key in keys if key[1] == first]
        month_facts = facts_module.month_facts(ids, first, last)
        for enrolment_id in ids:
            key = (enrolment_id, first)
            section = sections[key]
            rules = section.rules_version.engine
            base = prices.tariff_on(tariffs[enrolment_id], first).amount
            occurrences = month_facts.get(enrolment_id, facts_module.Facts())
            try:
                result = compute_month(
                    rules,
                    Month(
                        year=first.year,
                        month=first.month,
                        unit_price=base,
                        carried_in=ZERO,
                        occurrences=tuple(occurrences.occurrences),
                    ),
                )
            except MissingTimes:
                continue  # the dry run of the month shows the missing times
            now = sum((line.amount for line in result.lines), ZERO)
            before = sum(
                (prices.reprice(rules, line, base) for line in billed[section.pk]),
                ZERO,
            )
            difference = now - before - done[key]
            if difference == 0:
                continue
            changed = sorted(set(days[key]))
            found.append(
                Recount(
                    enrolment=enrolments[enrolment_id],
                    month=first,
                    amount=difference,
                    explanation=explanation(
                        first, changed, now, before + done[key], difference
                    ),
                    days=changed,
                )
            )
    return found


def explanation(month, days, now, before, difference) -> str:
    shown = ", ".join(f"{day:%d/%m}" for day in days[:8])
    if len(days) > 8:
        shown += f" et {len(days) - 8} autres"
    way = "en votre faveur" if difference < 0 else "à régler"
    return (
        f"Correction des présences de {MONTHS[month.month - 1]} {month.year}, "
        f"modifiées après la clôture du mois ({shown}) : le mois recalculé coûte "
        f"{format_money(now)} au lieu de {format_money(before)} déjà comptés, soit "
        f"{format_money(abs(difference))} {way}."
    )
