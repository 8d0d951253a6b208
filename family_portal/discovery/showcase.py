"""The home page's highlighted activities, each with its enrolment window and places
left.

The editors choose them in the home page's admin ("Activités mises en avant"). While
they have chosen none, the home page shows on its own the activities whose enrolments
are open (those closing soonest first, full ones after), then those opening next, at
most ``AUTOMATIC_COUNT``: the home page is never an empty band.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from activities.models import ActivityPage, ActivityPeriod
from home.models import HomePage

from . import availability as availabilities

AUTOMATIC_COUNT = 3


@dataclass(frozen=True)
class Highlight:
    page: object  # the ActivityPage, or the plain Page an editor chose
    summary: str
    availability: availabilities.Availability | None

    @property
    def is_activity(self) -> bool:
        return isinstance(self.page, ActivityPage)


def _summary(page, text: str = "") -> str:
    return text or getattr(page, "introduction", "") or page.search_description


def chosen(home: HomePage, today: datetime.date) -> list[Highlight]:
    """The editors' choice, in their order: live pages only."""
    rows = list(home.highlights.select_related("page").filter(page__live=True))
    if not rows:
        return []
    activities = ActivityPage.objects.live().in_bulk([row.page_id for row in rows])
    found = availabilities.of_activities(activities, today)
    highlights = []
    for row in rows:
        page = activities.get(row.page_id, row.page)
        highlights.append(Highlight(page, _summary(page, row.text), found.get(page.pk)))
    return highlights


def automatic(home: HomePage, today: datetime.date) -> list[Highlight]:
    """The activities of the home page's site with a window open or to come."""
    activities = ActivityPage.objects.live().public().descendant_of(home)
    found = availabilities.availability(
        ActivityPeriod.objects.filter(activity__in=activities), today
    )
    ranked = sorted(found.items(), key=lambda item: (item[1].rank, item[0]))
    ids = [activity_id for activity_id, _ in ranked[:AUTOMATIC_COUNT]]
    pages = activities.in_bulk(ids)
    return [
        Highlight(pages[pk], _summary(pages[pk]), found[pk])
        for pk in ids
        if pk in pages
    ]


def highlights(home: HomePage, today: datetime.date) -> list[Highlight]:
    return chosen(home, today) or automatic(home, today)
