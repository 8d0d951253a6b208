"""The site search: Wagtail's search over the live public pages of the site, then the
home page's news items; activities come with their enrolment window and places left.

Pages are found by Wagtail's search backend (the database backend: SQLite's FTS5 in the
demo, PostgreSQL's full-text search in production), every word required; when that
finds nothing, by the beginning of their titles ("conserv" finds the conservatory). News
items are blocks of the home page, not pages: they are matched here, a handful of
short texts, on every word of the query regardless of case and accents.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass

from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from wagtail.models import Page, Site

from activities.models import ActivityPage
from home.models import HomePage

from . import availability as availabilities

PER_PAGE = 10
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class Hit:
    """One search result, page or news item."""

    kind: str  # "Activité", "Page", "Actualité"
    title: str
    url: str | None
    summary: str = ""
    date: datetime.date | None = None
    availability: availabilities.Availability | None = None
    is_activity: bool = False


def _words(text: str) -> list[str]:
    """Lower-case words without accents: "Été" and "ete" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "".join(char if char.isalnum() else " " for char in plain).split()


def matching_news(home: HomePage | None, query: str) -> list:
    """The home page's news items holding every word of the query, newest first."""
    if home is None:
        return []
    wanted = _words(query)
    found = []
    for item in home.latest_news(count=None):
        text = " ".join(_words(f"{item.value['title']} {item.value['summary']}"))
        if wanted and all(word in text for word in wanted):
            found.append(item)
    return found


class Results:
    """Pages then news items as one sequence, for Django's paginator: only the slice
    shown is read from the search backend."""

    def __init__(self, pages, news):
        self.pages = pages
        self.news = news
        self._page_count = None

    def page_count(self) -> int:
        if self._page_count is None:
            self._page_count = self.pages.count()
        return self._page_count

    def count(self) -> int:
        return self.page_count() + len(self.news)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("Results are read by slices.")
        start, stop = index.start or 0, index.stop
        pages_count = self.page_count()
        items = (
            list(self.pages[start : min(stop, pages_count)])
            if start < pages_count
            else []
        )
        news_start = max(start - pages_count, 0)
        news_stop = max(stop - pages_count, 0)
        return items + self.news[news_start:news_stop]


def _site_pages(site: Site | None):
    pages = Page.objects.live().public()
    if site is not None:
        pages = pages.descendant_of(site.root_page, inclusive=True)
    return pages.specific()


def find(query: str, site: Site | None):
    """The results of ``query`` on ``site``: pages, then news items."""
    pages = _site_pages(site)
    found = pages.search(query, operator="and")
    if not found.count():
        found = pages.autocomplete(query)
    home = None
    if site is not None:
        home = HomePage.objects.filter(pk=site.root_page_id).first()
    return Results(found, matching_news(home, query))


def _summary(page) -> str:
    return page.search_description or getattr(page, "introduction", "") or ""


def hits(items, request, today: datetime.date) -> list[Hit]:
    """The items of one results page as hits: the activities' windows and places left
    read together, in two queries."""
    activity_ids = [item.pk for item in items if isinstance(item, ActivityPage)]
    found = availabilities.of_activities(activity_ids, today)
    result = []
    for item in items:
        if isinstance(item, Page):
            is_activity = isinstance(item, ActivityPage)
            result.append(
                Hit(
                    kind="Activité" if is_activity else "Page",
                    title=item.title,
                    url=item.get_url(request),
                    summary=_summary(item),
                    availability=found.get(item.pk),
                    is_activity=is_activity,
                )
            )
        else:  # a news item of the home page
            value = item.value
            page = value.get("page")
            result.append(
                Hit(
                    kind="Actualité",
                    title=value["title"],
                    url=page.get_url(request) if page and page.live else None,
                    summary=value["summary"],
                    date=value.get("date"),
                )
            )
    return result


def paginate(results: Results, number) -> PaginatorPage:
    return Paginator(results, PER_PAGE).get_page(number)
