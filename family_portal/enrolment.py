"""Enrolment services: which QF applies, the price of each child, and the confirmation.

The confirmation is one transaction: the period row is locked, places are counted, each
child is enrolled (or put on the waiting list) with a frozen tariff snapshot, and a
second submission of the same enrolment creates nothing more.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from activities.pricing import PricingError, Quote, Situation, quote

from .models import (
    Enrolment,
    EnrolmentPriceChange,
    Family,
    QuotientRecord,
    snapshot_dict,
)
from .signals import tariff_changed


@dataclass(frozen=True)
class QfChoice:
    """What the wizard decided about the quotient familial."""

    source: str  # one of Enrolment.QfSource
    quotient: QuotientRecord | None = None

    @property
    def provisional(self):
        """The price waits for an agent (a document) or for the API to answer again;
        once its QF is known, even the document path is final."""
        return self.quotient is None and self.source in {
            Enrolment.QfSource.DOCUMENT,
            Enrolment.QfSource.UNAVAILABLE,
        }


@dataclass(frozen=True)
class PlannedEnrolment:
    child: object
    rank: int
    residence: str
    quote: Quote
    qf: QfChoice


def enrolment_windows(activity, today):
    """(the periods open for enrolment today: their window is open and a barème in force
    on their dates prices them, those whose window is open but that no barème covers
    yet: their enrolments stay closed). Two querysets."""
    in_window = activity.periods.filter(
        enrolment_opens__lte=today, enrolment_closes__gte=today
    ).order_by("start", "pk")
    priced = in_window.priced()
    return priced, in_window.exclude(pk__in=priced.values("pk"))


def no_tariff_error(period) -> PricingError:
    return PricingError(
        f"Aucun barème voté ne couvre la période « {period.label} » (du "
        f"{period.start:%d/%m/%Y} au {period.end:%d/%m/%Y}) : les inscriptions "
        "ouvriront quand la commune aura publié ses tarifs pour ces dates."
    )


def places_left(period) -> int:
    taken = Enrolment.objects.holding_place().filter(period=period).count()
    return max(period.capacity - taken, 0)


def places_left_in(periods) -> dict[int, int]:
    """``places_left`` of each of ``periods`` (by id), in one query whatever their
    number."""
    periods = list(periods)
    taken = dict(
        Enrolment.objects.holding_place()
        .filter(period__in=[period.pk for period in periods])
        .order_by()
        .values("period")
        .annotate(taken=Count("pk"))
        .values_list("period", "taken")
    )
    return {
        period.pk: max(period.capacity - taken.get(period.pk, 0), 0)
        for period in periods
    }


def ineligibility_reason(activity, child, period) -> str | None:
    """Why this child may not enrol in this period (French), or None."""
    age = child.age_on(period.start)
    if activity.age_min is not None and age < activity.age_min:
        return f"l'activité est ouverte à partir de {activity.age_min} ans."
    if activity.age_max is not None and age > activity.age_max:
        return f"l'activité est ouverte jusqu'à {activity.age_max} ans."
    return None


def situation_for(family: Family, commune, qf: QfChoice, rank: int) -> Situation:
    quotient = qf.quotient
    return Situation(
        qf=quotient.value if quotient is not None else None,
        residence=family.residence(commune),
        child_rank=rank,
        regime=quotient.regime if quotient is not None else "none",
        flags=frozenset(quotient.flags if quotient is not None else ()),
    )


def sibling_ranks(family: Family, period, children) -> dict[int, int]:
    """Rank of each new child among the family's children enrolled in this period.

    Children already enrolled keep their ranks; the new ones follow, eldest first.
    """
    already = (
        Enrolment.objects.active()
        .filter(family=family, period=period)
        .exclude(child__in=children)
        .count()
    )
    ordered = sorted(children, key=lambda child: (child.birth_date, child.pk))
    return {child.pk: already + index for index, child in enumerate(ordered, start=1)}


def plan(family: Family, commune, period, children, qf: QfChoice, lock=False):
    """The price of each child, as it would be confirmed now, by the barème in force
    on the period's dates.

    With `lock` (inside the confirmation's transaction) the barème version row is locked
    until the enrolments are saved, so an agent's edit meanwhile makes a new version.
    """
    from activities.models import BaremeVersion

    version = period.activity.pricing_version(period)
    if version is None:
        raise no_tariff_error(period)
    if lock:
        version = BaremeVersion.objects.select_for_update().get(pk=version.pk)
    bareme = version.pricing
    ranks = sibling_ranks(family, period, children)
    planned = []
    for child in sorted(children, key=lambda child: ranks[child.pk]):
        situation = situation_for(family, commune, qf, ranks[child.pk])
        planned.append(
            PlannedEnrolment(
                child=child,
                rank=ranks[child.pk],
                residence=situation.residence,
                quote=quote(bareme, situation),
                qf=qf,
            )
        )
    return version, planned


def _snapshot(version, item: PlannedEnrolment) -> dict:
    quotient = item.qf.quotient
    deliberation = version.pricing.deliberation
    return {
        "bareme_version": version,
        "amount": item.quote.amount,
        "unit": item.quote.unit,
        "deliberation_reference": deliberation.reference,
        "deliberation_date": deliberation.date,
        "qf_value": quotient.value if quotient else None,
        "qf_month": quotient.month if quotient else None,
        "qf_provider": quotient.provider if quotient else "",
        "column": item.quote.column_label or item.quote.column or "",
        "bracket": item.quote.bracket or "",
        "explanation": list(item.quote.explanation),
        "child_rank": item.rank,
        "residence": item.residence,
        "qf_source": item.qf.source,
        "quotient": item.qf.quotient,
        "priced_at": timezone.now(),
    }


def confirm(family: Family, commune, period, children, qf: QfChoice, user=None):
    """Enrol each child, or put it on the waiting list; idempotent per child and period.

    Returns the enrolments, existing ones included, in rank order.
    """
    from activities.models import ActivityPeriod

    try:
        with transaction.atomic():
            # The lock serialises confirmations of one period: places are counted once.
            locked = ActivityPeriod.objects.select_for_update().get(pk=period.pk)
            existing = {
                enrolment.child_id: enrolment
                for enrolment in Enrolment.objects.active().filter(
                    period=locked, child__in=children
                )
            }
            new_children = [child for child in children if child.pk not in existing]
            version, planned = plan(
                family, commune, locked, new_children, qf, lock=True
            )
            taken = Enrolment.objects.holding_place().filter(period=locked).count()
            now = timezone.now()
            created = []
            for item in planned:
                if taken < locked.capacity:
                    status = (
                        Enrolment.Status.QF_PENDING
                        if qf.provisional
                        else Enrolment.Status.CONFIRMED
                    )
                    taken += 1
                    waiting_since = None
                else:
                    status = Enrolment.Status.WAITING
                    waiting_since = now
                created.append(
                    Enrolment.objects.create(
                        family=family,
                        child=item.child,
                        period=locked,
                        status=status,
                        waiting_since=waiting_since,
                        created_by=user,
                        **_snapshot(version, item),
                    )
                )
            version.mark_used()
            _tariff_changed(
                [item for item in created if item.status == Enrolment.Status.CONFIRMED],
                user=user,
            )
    except IntegrityError:
        # Another request (a double click, a second tab) enrolled the same child first.
        pass
    enrolments = (
        Enrolment.objects.active()
        .filter(period=period, child__in=children)
        .select_related("child", "period")
    )
    return sorted(enrolments, key=lambda enrolment: enrolment.child_rank)


def api_quotient(family: Family, result, user=None) -> QuotientRecord:
    """What DESIGN.md allows of an API answer, valid for the school year (unsaved)."""
    today = timezone.localdate()
    computed = (
        datetime.date(result.computation_year, result.computation_month, 1)
        if result.computation_year and result.computation_month
        else None
    )
    return QuotientRecord(
        family=family,
        value=Decimal(result.value),
        provider=result.provider,
        source=QuotientRecord.Source.API,
        month=datetime.date(result.year, result.month, 1),
        computed_month=computed,
        retrieved_at=result.retrieved_at,
        request_id=result.request_id or "",
        recorded_by=user,
        valid_from=today,
        valid_until=QuotientRecord.school_year_end(today),
    )


def record_api_quotient(family: Family, result, user=None) -> QuotientRecord:
    """Keep an API answer as the family's QF; the one it replaces is superseded."""
    return record_api_quotients([(family, result)], user=user)[0]


def record_api_quotients(answers, user=None) -> list[QuotientRecord]:
    """Keep API answers, `[(family, result)]`, one per family, in two queries (the
    yearly campaign records its families in batches)."""
    records = [api_quotient(family, result, user) for family, result in answers]
    QuotientRecord.objects.filter(
        family__in=[record.family_id for record in records],
        status=QuotientRecord.Status.ACTIVE,
    ).update(status=QuotientRecord.Status.SUPERSEDED)
    return QuotientRecord.objects.bulk_create(records)


def _price_again(enrolment: Enrolment, commune, qf: QfChoice, version) -> tuple:
    """Set the enrolment's tariff as `version` prices it now (unsaved); a provisional
    enrolment becomes final when the QF is final. Returns (before, after) snapshots."""
    before = snapshot_dict(enrolment)
    situation = situation_for(enrolment.family, commune, qf, enrolment.child_rank)
    item = PlannedEnrolment(
        child=enrolment.child,
        rank=enrolment.child_rank,
        residence=situation.residence,
        quote=quote(version.pricing, situation),
        qf=qf,
    )
    for name, value in _snapshot(version, item).items():
        setattr(enrolment, name, value)
    enrolment.price_overridden = False
    if enrolment.status == Enrolment.Status.QF_PENDING and not qf.provisional:
        enrolment.status = Enrolment.Status.CONFIRMED
    return before, snapshot_dict(enrolment)


def reprice(
    enrolment: Enrolment,
    commune,
    qf: QfChoice,
    *,
    kind: str,
    reason: str,
    user=None,
    version=None,
) -> EnrolmentPriceChange | None:
    """Price an enrolment again, with its own barème version unless `version` is given,
    and record the change. A provisional enrolment becomes final when the QF is final.

    Returns the audit row, or None when nothing changed.
    """
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update()
            .select_related("family", "bareme_version", "child")
            .get(pk=enrolment.pk)
        )
        version = version or enrolment.bareme_version
        before, after = _price_again(enrolment, commune, qf, version)
        if after == before:
            return None
        enrolment.save()
        version.mark_used()
        # A certificate is replaced, never edited, when the tariff changes.
        _tariff_changed([enrolment], user=user)
        return EnrolmentPriceChange.objects.create(
            enrolment=enrolment,
            kind=kind,
            reason=reason,
            changed_by=user,
            before=before,
            after=after,
        )


# What re-pricing changes on an enrolment: the fields `_snapshot` sets, and those
# `_price_again` sets besides (reprice_many writes only these).
REPRICED_FIELDS = (
    "bareme_version",
    "amount",
    "unit",
    "deliberation_reference",
    "deliberation_date",
    "qf_value",
    "qf_month",
    "qf_provider",
    "column",
    "bracket",
    "explanation",
    "child_rank",
    "residence",
    "qf_source",
    "quotient",
    "priced_at",
    "price_overridden",
    "status",
    "updated_at",
)


def for_repricing(enrolments):
    """The queryset `reprice_many` wants: rows locked, with what pricing reads."""
    return enrolments.select_for_update().select_related(
        "family", "bareme_version", "child"
    )


def reprice_many(items, commune, *, kind: str, user=None) -> list[EnrolmentPriceChange]:
    """`reprice` for many enrolments in a few queries (the yearly campaign): `items`
    are `(enrolment, qf, reason)`, each enrolment read through `for_repricing` in the
    caller's transaction and priced with its own barème version. Saves those whose
    tariff changed, records their audit rows, says so once (the certificates follow)
    and returns the audit rows."""
    from activities.models import BaremeVersion

    changed, changes, versions = [], [], set()
    now = timezone.now()
    for enrolment, qf, reason in items:
        version = enrolment.bareme_version
        before, after = _price_again(enrolment, commune, qf, version)
        if after == before:
            continue
        enrolment.updated_at = now
        changed.append(enrolment)
        if not version.locked:
            versions.add(version.pk)
        changes.append(
            EnrolmentPriceChange(
                enrolment=enrolment,
                kind=kind,
                reason=reason,
                changed_by=user,
                before=before,
                after=after,
            )
        )
    if not changed:
        return []
    with transaction.atomic():
        # One UPDATE per enrolment: bulk_update's CASE over 19 fields costs more.
        for enrolment in changed:
            Enrolment.objects.filter(pk=enrolment.pk).update(
                **{name: getattr(enrolment, name) for name in REPRICED_FIELDS}
            )
        BaremeVersion.objects.filter(pk__in=versions).update(locked=True)
        _tariff_changed(changed, user=user)
        return EnrolmentPriceChange.objects.bulk_create(changes)


def _tariff_changed(enrolments, user=None) -> None:
    """Say so: the certificates follow the tariff (issued, replaced or revoked in the
    background) without this module importing them."""
    tariff_changed.send(sender=Enrolment, enrolments=list(enrolments), user=user)


def reprice_family_pending(
    family: Family, commune, quotient: QuotientRecord, user=None
):
    """A final QF arrived (API retry, document checked): settle the family's provisional
    enrolments with it. Returns the audit rows."""
    source = {
        QuotientRecord.Source.API: Enrolment.QfSource.API,
        QuotientRecord.Source.DOCUMENT: Enrolment.QfSource.DOCUMENT,
    }.get(quotient.source, Enrolment.QfSource.RECORD)
    # With its QF known, even the document path is final (QfChoice.provisional).
    qf = QfChoice(source, quotient)
    changes = []
    for pending in family.enrolments.filter(status=Enrolment.Status.QF_PENDING):
        change = reprice(
            pending,
            commune,
            qf,
            kind=EnrolmentPriceChange.Kind.QF_ARRIVED,
            reason=f"Quotient familial {quotient} reçu : tarif définitif.",
            user=user,
        )
        if change is not None:
            changes.append(change)
    return changes
