"""The parent's month of a service: each day's state, the changes asked for, what they
cost and what was done, in French. The views only read the request and render."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from activities.pricing.formatting import format_money
from activities.service_calendar import MONTHS, WEEKDAYS

from . import services
from .forms import (
    BOOK,
    cell_key,
    parse_cell,
)
from .models import Booking, WaitingEntry


def long_date(day: datetime.date) -> str:
    first = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {first} {MONTHS[day.month - 1]}"


def month_title(month: datetime.date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def list_days(days) -> str:
    """« lundi 7, mardi 8 décembre 2026 ; lundi 4 janvier 2027 »."""
    by_month: dict[tuple[int, int], list[datetime.date]] = {}
    for day in sorted(days):
        by_month.setdefault((day.year, day.month), []).append(day)
    parts = []
    for (year, month), month_days in by_month.items():
        names = ", ".join(
            f"{WEEKDAYS[d.weekday()]} {'1er' if d.day == 1 else d.day}"
            for d in month_days
        )
        parts.append(f"{names} {MONTHS[month - 1]} {year}")
    return " ; ".join(parts)


def euros(amount: Decimal) -> str:
    return ("−" if amount < 0 else "") + format_money(abs(amount))


# --- the enrolment and its month ------------------------------------------------------


def active_enrolments(family):
    return family.enrolments.filter(
        status__in=services.ACTIVE_ENROLMENTS
    ).select_related("child", "period__activity", "period__schedule")


def enrolment_of(request, enrolment_id):
    """One of the family's active enrolments in a period with a schedule, or 404: a
    parent reaches nothing of another family's child."""
    enrolment = get_object_or_404(active_enrolments(request.family), pk=enrolment_id)
    if not hasattr(enrolment.period, "schedule"):
        raise Http404("Pas de réservation pour ce service.")
    return enrolment


def months_of(period) -> list[datetime.date]:
    month = period.start.replace(day=1)
    months = []
    while month <= period.end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def month_asked(value: str, period, today: datetime.date) -> datetime.date:
    months = months_of(period)
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        asked = datetime.date(year, month, 1)
    except ValueError:
        asked = today.replace(day=1)
    if asked in months:
        return asked
    return months[0] if asked < months[0] else months[-1]


def month_end(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(
        days=1
    )


@dataclass
class Cell:
    session: object
    key: str
    held: bool  # booked, or on the waiting list
    booked: bool
    waiting: bool
    full: bool
    editable: bool
    checked: bool = False
    late: bool = False  # past the deadline (an agent may still change it)
    closed: bool = False  # booked, but the service did not run it (strike, trip)

    @property
    def state(self) -> str:
        if self.closed:
            return "Fermé : le service n'a pas été assuré ce jour-là"
        if self.booked:
            text = "Réservé"
        elif self.waiting:
            text = "Sur liste d'attente"
        elif self.full:
            text = "Complet : cochez pour la liste d'attente"
        else:
            text = "Non réservé"
        if self.late:
            text += " (date limite passée)"
        return text

    @property
    def css(self) -> str:
        if self.closed:
            return "closed"
        if not self.editable:
            return "late"
        if self.booked:
            return "booked"
        if self.waiting:
            return "waiting"
        return "full" if self.full else "free"


@dataclass
class Row:
    first: datetime.date
    last: datetime.date
    runs: bool
    reason: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def closed_text(self) -> str:
        """Why the service does not run, saying that it does not."""
        if self.reason.startswith("Fermé"):
            return self.reason
        return f"Pas d'accueil : {self.reason}"

    @property
    def label(self) -> str:
        if self.first == self.last:
            return long_date(self.first)
        return f"du {long_date(self.first)} au {long_date(self.last)}"


def month_rows(
    enrolment, month: datetime.date, now, *, by_agent: bool = False
) -> list[Row]:
    """The month's days for the calendar: each day the service runs with a cell per
    session, and the days of its weekly pattern it does not run (holidays, closures)
    grouped when they follow each other for the same reason. For an agent at the
    counter every day stays editable, past the deadline too."""
    schedule = enrolment.period.schedule
    sessions = list(schedule.sessions.all())
    end = month_end(month)
    grid = services.month_grid(schedule, month, end)
    booked, closed = set(), set()
    for session_id, day, status in Booking.objects.filter(
        enrolment=enrolment,
        date__range=(month, end),
        status__in=(Booking.Status.BOOKED, Booking.Status.CLOSED),
    ).values_list("session_id", "date", "status"):
        (booked if status == Booking.Status.BOOKED else closed).add((session_id, day))
    waiting = set(
        WaitingEntry.objects.filter(
            enrolment=enrolment,
            date__range=(month, end),
            status=WaitingEntry.Status.WAITING,
        ).values_list("session_id", "date")
    )
    limited = [s.pk for s in sessions if s.capacity is not None]
    taken = Counter()
    if limited:
        for row in (
            Booking.objects.filter(
                session_id__in=limited,
                date__range=(month, end),
                status=Booking.Status.BOOKED,
            )
            .values("session_id", "date")
            .annotate(count=Count("pk"))
        ):
            taken[(row["session_id"], row["date"])] = row["count"]
    rows: list[Row] = []
    for day in grid:
        if not day.runs:
            if day.date.weekday() not in schedule.weekdays:
                continue
            previous = rows[-1] if rows else None
            if (
                previous
                and not previous.runs
                and previous.reason == day.reason
                and (day.date - previous.last).days <= 7
            ):
                previous.last = day.date
            else:
                rows.append(Row(day.date, day.date, False, day.reason))
            continue
        late = not services.in_time(schedule, day.date, now)
        row = Row(day.date, day.date, True, day.reason)
        for session in sessions:
            key = (session.pk, day.date)
            is_booked, is_waiting = key in booked, key in waiting
            is_closed = key in closed
            row.cells.append(
                Cell(
                    session=session,
                    key=cell_key(*key),
                    held=is_booked or is_waiting,
                    booked=is_booked,
                    waiting=is_waiting,
                    full=session.capacity is not None
                    and taken[key] >= session.capacity,
                    editable=by_agent or not (late or is_closed),
                    late=late,
                    closed=is_closed,
                )
            )
        rows.append(row)
    return rows


def first_open_day(schedule, now, calendars=None) -> datetime.date | None:
    today = timezone.localdate(now)
    calendar = services.open_days_of(schedule, calendars)
    return next(
        (day for day in calendar.days if day >= today and calendar.in_time(day, now)),
        None,
    )


# --- changes: what is asked, what it costs, what was done ------------------------------


@dataclass
class Change:
    enrolment: object
    session: object
    action: str  # BOOK or CANCEL
    days: list[datetime.date]


def month_changes(form, enrolment, rows) -> list[Change]:
    held = {cell.key for row in rows for cell in row.cells if cell.held}
    to_book, to_cancel = form.changes(held)
    sessions = {s.pk: s for s in enrolment.period.schedule.sessions.all()}
    changes = []
    for target in [enrolment, *form.cleaned_data["aussi"]]:
        for action, keys in ((services.cancel, to_cancel), (services.book, to_book)):
            by_session: dict[int, list[datetime.date]] = {}
            for key in keys:
                session_id, day = parse_cell(key)
                by_session.setdefault(session_id, []).append(day)
            for session_id, days in by_session.items():
                changes.append(Change(target, sessions[session_id], action, days))
    return changes


def recurring_changes(form) -> list[Change]:
    days = form.days()
    action = services.book if form.cleaned_data["action"] == BOOK else services.cancel
    return [
        Change(target, session, action, days)
        for target in form.cleaned_data["enfants"]
        for session in form.cleaned_data["seances"]
        if days
    ]


def run(changes, user, *, dry_run: bool, by_agent: bool = False, calendars=None):
    """Each change's outcome and price, per child, in the order asked: cancellations
    first, so a place freed by one child can go to the other. ``by_agent``: an agent
    at the counter, who may change days past the deadline (the trail says so).
    Each schedule's calendar and deadlines are read once for all the changes."""
    calendars = {} if calendars is None else calendars
    children = {}
    total = Decimal(0)
    for change in sorted(changes, key=lambda c: c.action is services.book):
        if dry_run:
            outcome = services.simulate(
                change.action,
                change.enrolment,
                change.session,
                change.days,
                user=user,
                by_agent=by_agent,
                calendars=calendars,
            )
        else:
            outcome = change.action(
                change.enrolment,
                change.session,
                change.days,
                user=user,
                by_agent=by_agent,
                calendars=calendars,
            )
        sign = 1 if change.action is services.book else -1
        cost = sign * services.cost_of(
            change.enrolment, change.session, len(outcome.done)
        )
        total += cost
        child = children.setdefault(
            change.enrolment.pk,
            {
                "name": change.enrolment.child.first_name,
                "unit": f"{euros(change.enrolment.amount)} / {change.enrolment.unit}",
                "lines": [],
                "total": Decimal(0),
            },
        )
        child["total"] += cost
        child["lines"].append(
            {
                "session": change.session.name,
                "book": change.action is services.book,
                "done": [d.isoformat() for d in outcome.done],
                "waiting": [d.isoformat() for d in outcome.waiting],
                "withdrawn": [d.isoformat() for d in outcome.withdrawn],
                "unchanged": [d.isoformat() for d in outcome.unchanged],
                "refused": [(d.isoformat(), why) for d, why in outcome.refused],
                "cost": str(cost),
            }
        )
    for child in children.values():
        child["total"] = str(child["total"])
    return {"children": list(children.values()), "total": str(total)}


def readable(summary):
    """The stored summary with days and amounts written for people."""
    children = []
    for child in summary["children"]:
        lines = []
        for line in child["lines"]:

            def days(key, line=line):
                return [datetime.date.fromisoformat(d) for d in line[key]]

            lines.append(
                {
                    **line,
                    "done_count": len(line["done"]),
                    "done_text": list_days(days("done")),
                    "waiting_text": list_days(days("waiting")),
                    "withdrawn_text": list_days(days("withdrawn")),
                    "refused_list": [
                        (long_date(datetime.date.fromisoformat(d)), why)
                        for d, why in line["refused"]
                    ],
                    "cost_text": euros(Decimal(line["cost"])),
                    "has_cost": Decimal(line["cost"]) != 0,
                }
            )
        children.append(
            {**child, "lines": lines, "total_text": euros(Decimal(child["total"]))}
        )
    total = Decimal(summary["total"])
    return {
        "children": children,
        "total": total,
        "total_text": euros(total),
        "nothing": not any(
            line["done"] or line["waiting"] or line["withdrawn"] or line["refused"]
            for child in children
            for line in child["lines"]
        ),
    }
