"""What the public site says of an activity's enrolments: the window open today (with
its places left) or, when none is, the next one to open.

Places left are the enrolment services' own (``family_portal.enrolment.places_left_in``),
for every activity asked about in two queries whatever their number.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from activities.models import ActivityPeriod

from ..enrolment import places_left_in


@dataclass(frozen=True)
class Window:
    """One period's enrolment window as families see it."""

    OPEN = "open"  # open today, a barème in force prices it
    NO_TARIFF = "no_tariff"  # open today, but no barème covers the period yet
    UPCOMING = "upcoming"  # opens later

    period: ActivityPeriod
    state: str
    places_left: int  # places an agent gave at the counter count before a window opens

    @property
    def is_open(self) -> bool:
        return self.state == self.OPEN

    @property
    def is_upcoming(self) -> bool:
        return self.state == self.UPCOMING

    @property
    def is_full(self) -> bool:
        return self.state == self.OPEN and self.places_left == 0


@dataclass
class Availability:
    """The windows of one activity worth showing: those open today, or else the next
    one to open; none when no enrolment is planned."""

    windows: list[Window] = field(default_factory=list)

    @property
    def rank(self) -> tuple:
        """Open with places left first (closing soonest first), then full or waiting
        for a tariff, then opening soonest; used to choose highlights."""
        if not self.windows:
            return (3,)
        first = self.windows[0]
        if first.is_open and not first.is_full:
            return (0, first.period.enrolment_closes)
        if not first.is_upcoming:
            return (1, first.period.enrolment_closes)
        return (2, first.period.enrolment_opens)


def availability(periods, today: datetime.date) -> dict[int, Availability]:
    """The availability of every activity of ``periods`` (a queryset of periods), by
    activity id; activities without a window to come are absent."""
    periods = list(
        periods.filter(enrolment_closes__gte=today)
        .with_priced()
        .order_by("enrolment_opens", "start", "pk")
    )
    places = places_left_in(periods) if periods else {}
    by_activity: dict[int, Availability] = defaultdict(Availability)
    upcoming: dict[int, Window] = {}
    for period in periods:
        if period.enrolment_opens <= today:
            state = Window.OPEN if period.is_priced else Window.NO_TARIFF
            by_activity[period.activity_id].windows.append(
                Window(period, state, places[period.pk])
            )
        else:
            upcoming.setdefault(
                period.activity_id,
                Window(period, Window.UPCOMING, places[period.pk]),
            )
    for activity_id, window in upcoming.items():
        if not by_activity[activity_id].windows:
            by_activity[activity_id].windows.append(window)
    for item in by_activity.values():
        item.windows.sort(key=lambda window: (window.period.start, window.period.pk))
    return dict(by_activity)


def of_activities(activity_ids, today: datetime.date) -> dict[int, Availability]:
    activity_ids = list(activity_ids)
    if not activity_ids:
        return {}
    return availability(
        ActivityPeriod.objects.filter(activity_id__in=activity_ids), today
    )
