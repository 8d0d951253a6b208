"""A family's month in a régie, computed: what a dry run shows and a real run issues.

For each enrolment of the family in the régie's services: the facts of the month
(``facts.py``), the tariff valid that month (``prices.py``), the amount carried in from
earlier months, and the engine's lines (``activities.billing_rules``). Then the
regularisations of months invoiced at a provisional price since settled, and the agents'
corrections waiting for this invoice. Everything for a batch of families is read with a
handful of queries.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from activities.billing_rules import CASES, MissingTimes, Month, compute_month
from activities.billing_rules.model import MonthResult
from activities.pricing.formatting import format_money
from activities.service_calendar import MONTHS
from family_portal.models import Enrolment, EnrolmentPriceChange, Family

from . import facts as facts_module
from . import prices, recount
from .models import (
    Adjustment,
    Invoice,
    InvoiceLine,
    Regie,
    RulesVersion,
    ServiceMonth,
)

ZERO = Decimal("0.00")
# A total this much above or below last month's is shown to the agent.
BIG_CHANGE = Decimal("0.5")


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def month_label(month: datetime.date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def previous_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


@dataclass
class Section:
    """A child's month in one service."""

    enrolment: Enrolment
    version: RulesVersion
    tariff: prices.Tariff
    tariff_text: str
    result: MonthResult
    previous_total: Decimal | None = None

    @property
    def label(self) -> str:
        return f"{self.enrolment.child.first_name} — {self.version.document['label']}"


@dataclass
class ExtraLine:
    """A line that is not an occurrence: regularisation or correction."""

    case: str
    amount: Decimal
    explanation: str
    date: datetime.date
    enrolment: Enrolment | None = None
    child_id: int | None = None
    regularised_month: datetime.date | None = None
    adjustment: Adjustment | None = None


@dataclass
class Draft:
    family_id: int
    family_name: str
    sections: list[Section] = field(default_factory=list)
    extras: list[ExtraLine] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)
    previous_total: Decimal | None = None
    error: str = ""

    @property
    def invoiced_sections(self) -> list[Section]:
        return [s for s in self.sections if s.result.invoiced]

    @property
    def total(self) -> Decimal:
        amount = sum((s.result.total for s in self.invoiced_sections), ZERO)
        return amount + sum((e.amount for e in self.extras), ZERO)

    @property
    def issues_invoice(self) -> bool:
        return not self.error and self.total > 0


class RegieMonth:
    """What every family of a régie's month shares: its services' rules (their current
    versions) and the month's bounds."""

    def __init__(self, regie: Regie, month: datetime.date):
        self.regie = regie
        self.month = month.replace(day=1)
        self.first, self.last = month_bounds(self.month)
        self.versions: dict[int, RulesVersion] = {}
        for rules in regie.rules.select_related("activity"):
            version = rules.current_version
            if version is not None:
                self.versions[rules.activity_id] = version

    def enrolments(self):
        return Enrolment.objects.filter(
            period__activity_id__in=list(self.versions),
            period__start__lte=self.last,
            period__end__gte=self.first,
        ).exclude(status=Enrolment.Status.WAITING)

    def family_ids(self) -> list[int]:
        """Families with an enrolment in the month, or a correction waiting."""
        ids = set(self.enrolments().values_list("family_id", flat=True))
        ids |= set(
            Adjustment.objects.filter(regie=self.regie, line__isnull=True).values_list(
                "family_id", flat=True
            )
        )
        ids |= recount.families(self.versions, self.month)
        return sorted(ids)

    def compute(self, family_ids) -> list[Draft]:
        """The drafts of these families, in the order given."""
        enrolments = list(
            self.enrolments()
            .filter(family_id__in=family_ids)
            .select_related("child", "family", "period")
            .order_by("child__birth_date", "child_id", "period__activity_id")
        )
        drafts = {pk: Draft(pk, "") for pk in family_ids}
        for pk, name in Family.objects.filter(pk__in=family_ids).values_list(
            "pk", "name"
        ):
            drafts[pk].family_name = name
        tariffs = prices.timelines(enrolments)
        month_facts = facts_module.month_facts(
            [e.pk for e in enrolments], self.first, self.last
        )
        carried = self._carried_in(enrolments)
        previous = self._previous_totals(family_ids)
        for enrolment in enrolments:
            draft = drafts[enrolment.family_id]
            self._section(draft, enrolment, tariffs[enrolment.pk], month_facts, carried)
        self._regularisations(drafts, enrolments, tariffs)
        self._recounts(drafts)
        self._adjustments(drafts)
        for draft in drafts.values():
            draft.previous_total = previous.get(draft.family_id)
            self._check(draft)
        return [drafts[pk] for pk in family_ids]

    # --- sections --------------------------------------------------------------------

    def _section(self, draft, enrolment, tariffs, month_facts, carried) -> None:
        version = self.versions[enrolment.period.activity_id]
        tariff = prices.tariff_on(tariffs, self.first)
        found = month_facts.get(enrolment.pk) or facts_module.Facts()
        carried_in = carried.get(
            (enrolment.child_id, enrolment.period.activity_id), ZERO
        )
        if not found.occurrences and not carried_in:
            return
        month = Month(
            year=self.month.year,
            month=self.month.month,
            unit_price=tariff.amount,
            carried_in=carried_in,
            occurrences=tuple(found.occurrences),
        )
        try:
            result = compute_month(version.engine, month)
        except MissingTimes as error:
            times = (
                "d'arrivée et de départ"
                if error.case in ("present", "unbooked_present")
                else "de début et de fin de la réservation"
            )
            draft.error = (
                f"{enrolment.child.first_name} — {version.document['label']} : il "
                f"manque les heures {times} du {error.day:%d/%m/%Y}, nécessaires pour "
                "facturer par tranches de temps"
            )
            return
        if not result.lines and not result.carried_in:
            return
        draft.sections.append(
            Section(enrolment, version, tariff, tariff_text(tariff.snapshot), result)
        )
        name = enrolment.child.first_name
        service = version.document["label"]
        if tariff.provisional:
            draft.anomalies.append(
                f"Tarif provisoire (QF à vérifier) pour {name} — {service}."
            )
        if found.certificate_pending:
            draft.anomalies.append(
                f"Certificat médical à vérifier pour {name} — {service} : "
                f"{_days(found.certificate_pending)}."
            )
        if found.unchecked:
            draft.anomalies.append(
                f"Présence non pointée pour {name} — {service} : "
                f"{_days(found.unchecked)} (facturée comme une absence sur un jour réservé)."
            )

    def _carried_in(self, enrolments) -> dict[tuple[int, int], Decimal]:
        """(child, activity) → the amount the latest earlier month carried over."""
        keys = {(e.child_id, e.period.activity_id) for e in enrolments}
        latest: dict[tuple[int, int], tuple] = {}
        rows = ServiceMonth.objects.filter(
            child_id__in={k[0] for k in keys}, month__lt=self.month
        ).values_list("child_id", "activity_id", "month", "carried_over")
        for child, activity, month, carried_over in rows:
            key = (child, activity)
            if key in keys and (key not in latest or latest[key][0] < month):
                latest[key] = (month, carried_over)
        return {key: value[1] for key, value in latest.items() if value[1]}

    def _previous_totals(self, family_ids) -> dict[int, Decimal]:
        return dict(
            Invoice.objects.filter(
                regie=self.regie,
                kind=Invoice.Kind.INVOICE,
                family_id__in=family_ids,
                month=previous_month(self.month),
            ).values_list("family_id", "total")
        )

    # --- regularisations and corrections ----------------------------------------------

    def _regularisations(self, drafts, enrolments, tariffs) -> None:
        """Months invoiced at a price since settled (a provisional QF that arrived) get
        the difference, once, on this invoice."""
        settled = set(
            EnrolmentPriceChange.objects.filter(
                enrolment__in=[e.pk for e in enrolments],
                kind__in=prices.RETROACTIVE,
            ).values_list("enrolment_id", flat=True)
        )
        if not settled:
            return
        billed: dict[tuple[int, datetime.date], list] = defaultdict(list)
        # A month carried over (under the minimum) has no invoice of its own: its
        # amount reached a later invoice as "carried in", at the provisional price.
        for line in InvoiceLine.objects.filter(
            Q(invoice__kind="invoice")
            | Q(invoice__isnull=True, section__invoiced=False),
            enrolment_id__in=settled,
            section__month__lt=self.month,
            case__in=(*CASES, "forfait"),
        ).values(
            "enrolment_id",
            "section__month",
            "case",
            "quantity",
            "amount",
            "base_price",
            "rules_version_id",
        ):
            billed[(line["enrolment_id"], line["section__month"])].append(line)
        done: dict[tuple[int, datetime.date], Decimal] = defaultdict(lambda: ZERO)
        for enrolment_id, month, amount in InvoiceLine.objects.filter(
            enrolment_id__in=settled, case=InvoiceLine.REGULARISATION
        ).values_list("enrolment_id", "regularised_month", "amount"):
            done[(enrolment_id, month)] += amount
        by_pk = {e.pk: e for e in enrolments}
        versions = {}
        for (enrolment_id, month), lines in sorted(billed.items(), key=_by_month):
            enrolment = by_pk[enrolment_id]
            tariff = prices.tariff_on(tariffs[enrolment_id], month)
            expected = ZERO
            old_prices = set()
            for line in lines:
                version = versions.get(line["rules_version_id"])
                if version is None:
                    version = versions[line["rules_version_id"]] = (
                        RulesVersion.objects.get(pk=line["rules_version_id"])
                    )
                expected += prices.reprice(version.engine, line, tariff.amount)
                old_prices.add(line["base_price"])
            invoiced = sum((line["amount"] for line in lines), ZERO)
            difference = expected - invoiced - done[(enrolment_id, month)]
            if difference == 0:
                continue
            old = ", ".join(
                format_money(p) for p in sorted(old_prices) if p is not None
            )
            drafts[enrolment.family_id].extras.append(
                ExtraLine(
                    case=InvoiceLine.REGULARISATION,
                    amount=difference,
                    explanation=(
                        f"Régularisation de {month_label(month)} : le tarif provisoire "
                        f"({old}) est remplacé par le tarif définitif de "
                        f"{format_money(tariff.amount)} après réception du quotient "
                        f"familial ({len(lines)} ligne{'s' * (len(lines) > 1)} "
                        f"recalculée{'s' * (len(lines) > 1)})."
                    ),
                    date=self.first,
                    enrolment=enrolment,
                    child_id=enrolment.child_id,
                    regularised_month=month,
                )
            )

    def _recounts(self, drafts) -> None:
        """Months already billed whose attendance was corrected after closing."""
        for found in recount.recount(self.versions, list(drafts), self.month):
            enrolment = found.enrolment
            drafts[enrolment.family_id].extras.append(
                ExtraLine(
                    case=InvoiceLine.CORRECTION,
                    amount=found.amount,
                    explanation=found.explanation,
                    date=self.first,
                    enrolment=enrolment,
                    child_id=enrolment.child_id,
                    regularised_month=found.month,
                )
            )

    def _adjustments(self, drafts) -> None:
        for adjustment in Adjustment.objects.filter(
            regie=self.regie, line__isnull=True, family_id__in=list(drafts)
        ).select_related("created_by"):
            drafts[adjustment.family_id].extras.append(
                ExtraLine(
                    case=InvoiceLine.CORRECTION,
                    amount=adjustment.amount,
                    explanation=f"Correction : {adjustment.reason}",
                    date=self.first,
                    child_id=adjustment.child_id,
                    adjustment=adjustment,
                )
            )

    def _check(self, draft: Draft) -> None:
        extras = sum((e.amount for e in draft.extras), ZERO)
        invoiced = draft.total - extras
        if extras < 0 and invoiced + extras < 0:
            draft.anomalies.append(
                f"Régularisations et corrections en faveur de la famille "
                f"({format_money(-extras)}) supérieures au mois : elles attendent la "
                "prochaine facture, ou un avoir."
            )
            draft.extras = []
        if draft.error:
            draft.anomalies.insert(0, f"Impossible de facturer : {draft.error}")
        previous = draft.previous_total
        if (
            previous
            and draft.total
            and abs(draft.total - previous) > BIG_CHANGE * previous
        ):
            draft.anomalies.append(
                f"Total très différent du mois précédent : {format_money(previous)} → "
                f"{format_money(draft.total)}."
            )


def _by_month(item):
    (enrolment_id, month), _ = item
    return (month, enrolment_id)


def _days(days) -> str:
    shown = ", ".join(f"{day:%d/%m}" for day in days[:5])
    more = f" et {len(days) - 5} autres" if len(days) > 5 else ""
    return f"{len(days)} jour{'s' * (len(days) > 1)} ({shown}{more})"


def tariff_text(snapshot: dict) -> str:
    """The frozen tariff, as the invoice prints it."""
    amount = format_money(Decimal(snapshot["amount"]))
    parts = [f"{amount} par {snapshot.get('unit') or 'unité'}"]
    if snapshot.get("bracket"):
        parts.append(f"tranche {snapshot['bracket']}")
    if snapshot.get("qf_value"):
        parts.append(f"QF {format_money(Decimal(snapshot['qf_value']))}")
    elif snapshot.get("qf_source") == "none":
        parts.append("sans quotient familial")
    if snapshot.get("status") == Enrolment.Status.QF_PENDING:
        parts.append("tarif provisoire (QF à vérifier)")
    if snapshot.get("deliberation_reference"):
        parts.append(f"délibération {snapshot['deliberation_reference']}")
    return ", ".join(parts)


def carried_in_text(amount: Decimal, minimum: str) -> str:
    return (
        f"Report des mois précédents : {format_money(amount)}, montant inférieur au "
        f"minimum de facturation de {format_money(Decimal(minimum))}, ajouté à ce mois."
    )
