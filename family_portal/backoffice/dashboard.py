"""The figures of the dashboard panel on the Wagtail admin home: places taken against
capacity, documents waiting, API errors of the last 24 hours, children by bracket."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.utils import timezone

from activities.models import ActivityPeriod, BaremeVersion
from qf_connector.models import ApiCallLog

from ..models import Enrolment, QfDocument
from .charts import bar_chart_svg

NO_QF = "Sans quotient familial"
NO_BRACKET = "Taux d'effort (sans tranche)"


@dataclass
class PeriodLoad:
    period: ActivityPeriod
    confirmed: int
    pending: int
    waiting: int

    @property
    def taken(self) -> int:
        return self.confirmed + self.pending

    @property
    def free(self) -> int:
        return max(self.period.capacity - self.taken, 0)

    @property
    def percent(self) -> int:
        capacity = self.period.capacity
        return round(100 * self.taken / capacity) if capacity else 0


@dataclass
class BracketChart:
    bareme: str
    rows: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(value for _label, value in self.rows)

    def svg(self, index: int):
        return bar_chart_svg(
            f"fp-chart-{index}",
            f"Enfants inscrits par tranche — {self.bareme}",
            self.rows,
            ", ".join(f"{label} : {value}" for label, value in self.rows),
        )


def _with_counts(periods):
    status = Enrolment.Status
    return (
        periods.select_related("activity")
        .annotate(
            n_confirmed=Count(
                "enrolments", filter=Q(enrolments__status=status.CONFIRMED)
            ),
            n_pending=Count(
                "enrolments", filter=Q(enrolments__status=status.QF_PENDING)
            ),
            n_waiting=Count("enrolments", filter=Q(enrolments__status=status.WAITING)),
        )
        .order_by("activity__title", "start", "pk")
    )


def _load(period) -> PeriodLoad:
    return PeriodLoad(period, period.n_confirmed, period.n_pending, period.n_waiting)


def period_load(period) -> PeriodLoad:
    return _load(_with_counts(ActivityPeriod.objects.filter(pk=period.pk)).get())


def period_loads(today: datetime.date) -> list[PeriodLoad]:
    """Each period not yet over, with its enrolments by status (one query)."""
    periods = _with_counts(ActivityPeriod.objects.filter(end__gte=today))
    return [_load(period) for period in periods]


def bracket_charts(today: datetime.date) -> list[BracketChart]:
    """Children holding a place in a running period, by barème and bracket, in the
    barème's own bracket order."""
    counts = (
        Enrolment.objects.holding_place()
        .filter(period__end__gte=today)
        .annotate(
            has_qf=ExpressionWrapper(
                Q(qf_value__isnull=False), output_field=BooleanField()
            )
        )
        .values(
            "bareme_version__bareme_id",
            "bareme_version__bareme__label",
            "bracket",
            "has_qf",
        )
        .annotate(children=Count("child", distinct=True))
    )
    by_bareme: dict[int, dict[str, int]] = defaultdict(dict)
    labels = {}
    for row in counts:
        bareme_id = row["bareme_version__bareme_id"]
        labels[bareme_id] = row["bareme_version__bareme__label"]
        label = row["bracket"] or (NO_BRACKET if row["has_qf"] else NO_QF)
        brackets = by_bareme[bareme_id]
        brackets[label] = brackets.get(label, 0) + row["children"]
    order = {
        version.bareme_id: [
            bracket["label"] for bracket in version.document.get("brackets") or []
        ]
        for version in BaremeVersion.objects.latest_per_bareme().filter(
            bareme_id__in=by_bareme
        )
    }
    charts = []
    for bareme_id, counted in sorted(
        by_bareme.items(), key=lambda item: labels[item[0]]
    ):
        # Every bracket of the barème, empty ones too, then labels of older versions.
        rows = dict.fromkeys(order.get(bareme_id, []), 0)
        for label in sorted(counted):
            rows[label] = rows.get(label, 0) + counted[label]
        charts.append(BracketChart(labels[bareme_id], list(rows.items())))
    return charts


def figures(now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    today = timezone.localdate(now)
    calls = ApiCallLog.objects.filter(
        started_at__gte=now - datetime.timedelta(hours=24)
    )
    api = calls.aggregate(
        total=Count("pk"), errors=Count("pk", filter=~Q(error_kind=""))
    )
    return {
        "loads": period_loads(today),
        "documents_waiting": QfDocument.objects.filter(
            status=QfDocument.Status.PENDING
        ).count(),
        "qf_pending": Enrolment.objects.filter(
            status=Enrolment.Status.QF_PENDING
        ).count(),
        "api_calls": api["total"],
        "api_errors": api["errors"],
        "charts": bracket_charts(today),
    }
