"""The tariff of an enrolment valid on a given day, from its frozen snapshot and the audit
trail of its changes.

A change of situation (the yearly QF refresh, an agent's new price) applies from the first
day of the following month, never backwards; a provisional price settled when the QF
arrives (``qf_arrived``) replaces the provisional one from the start, and the months
already invoiced get a regularisation line.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from activities.billing_rules.model import to_cents
from family_portal.models import Enrolment, EnrolmentPriceChange, snapshot_dict

RETROACTIVE = (EnrolmentPriceChange.Kind.QF_ARRIVED,)


@dataclass(frozen=True)
class Tariff:
    """A snapshot as it was from ``start`` on."""

    start: datetime.date
    snapshot: dict

    @property
    def amount(self) -> Decimal:
        return Decimal(self.snapshot["amount"])

    @property
    def provisional(self) -> bool:
        return self.snapshot.get("status") == Enrolment.Status.QF_PENDING


def timeline(enrolment: Enrolment, changes) -> list[Tariff]:
    """The tariffs of ``enrolment`` in date order; ``changes`` are its price changes."""
    changes = sorted(changes, key=lambda change: (change.changed_at, change.pk))
    first = changes[0].before if changes else snapshot_dict(enrolment)
    tariffs = [Tariff(datetime.date.min, first)]
    for change in changes:
        if change.kind in RETROACTIVE:
            tariffs = [Tariff(datetime.date.min, change.after)]
            continue
        changed = timezone.localdate(change.changed_at)
        start = (changed.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        tariffs = [t for t in tariffs if t.start < start] + [
            Tariff(start, change.after)
        ]
    return tariffs


def tariff_on(tariffs: list[Tariff], day: datetime.date) -> Tariff:
    current = tariffs[0]
    for tariff in tariffs:
        if tariff.start <= day:
            current = tariff
    return current


def timelines(enrolments) -> dict[int, list[Tariff]]:
    """Each enrolment's timeline, with one query for all their changes."""
    changes: dict[int, list] = {}
    for change in EnrolmentPriceChange.objects.filter(
        enrolment__in=[e.pk for e in enrolments]
    ).only("enrolment_id", "kind", "changed_at", "before", "after"):
        changes.setdefault(change.enrolment_id, []).append(change)
    return {e.pk: timeline(e, changes.get(e.pk, [])) for e in enrolments}


def reprice(rules, line: dict, base: Decimal) -> Decimal:
    """A billed line's amount at the unit price ``base`` (``line``: its ``case``,
    ``quantity``, ``amount`` and ``base_price``): the same charge of the same rules
    (``rules``: the engine's), applied to the other price. A late pick-up's penalty
    does not depend on the price."""
    if line["base_price"] == base or line["case"] == "late_pickup":
        return line["amount"]
    case = "present" if line["case"] == "forfait" else line["case"]
    unit = rules.charges[case].unit_price(base)
    return to_cents(unit * line["quantity"])
