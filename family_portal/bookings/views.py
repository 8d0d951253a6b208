"""The parent's side of bookings: a month of checkboxes per enrolment (works without
JavaScript), a weekly pattern, the price of a change before it is saved, a sick child,
and the family's iCal feed. Every change goes through ``services``."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from activities.pricing.formatting import format_money
from activities.service_calendar import MONTHS, WEEKDAYS
from family_portal.views import family_required

from . import calendar_feed, services
from .forms import (
    BOOK,
    AbsenceForm,
    MonthForm,
    RecurringForm,
    cell_key,
    parse_cell,
)
from .models import AbsenceReport, Booking, CalendarFeed, WaitingEntry

SUMMARY_KEY = "bookings_summary"
MONTH_FORM, RECURRING_FORM = "mois", "semaine"
PREVIEW, CONFIRM, EDIT = "apercu", "confirmer", "modifier"


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

    @property
    def state(self) -> str:
        if self.booked:
            text = "Réservé"
        elif self.waiting:
            text = "Sur liste d'attente"
        elif self.full:
            text = "Complet : cochez pour la liste d'attente"
        else:
            text = "Non réservé"
        if not self.editable:
            text += " (date limite passée)"
        return text

    @property
    def css(self) -> str:
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


def month_rows(enrolment, month: datetime.date, now) -> list[Row]:
    """The month's days for the calendar: each day the service runs with a cell per
    session, and the days of its weekly pattern it does not run (holidays, closures)
    grouped when they follow each other for the same reason."""
    schedule = enrolment.period.schedule
    sessions = list(schedule.sessions.all())
    end = month_end(month)
    grid = services.month_grid(schedule, month, end)
    booked = set(
        Booking.objects.filter(
            enrolment=enrolment,
            date__range=(month, end),
            status=Booking.Status.BOOKED,
        ).values_list("session_id", "date")
    )
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
        editable = services.in_time(schedule, day.date, now)
        row = Row(day.date, day.date, True, day.reason)
        for session in sessions:
            key = (session.pk, day.date)
            is_booked, is_waiting = key in booked, key in waiting
            row.cells.append(
                Cell(
                    session=session,
                    key=cell_key(*key),
                    held=is_booked or is_waiting,
                    booked=is_booked,
                    waiting=is_waiting,
                    full=session.capacity is not None
                    and taken[key] >= session.capacity,
                    editable=editable,
                )
            )
        rows.append(row)
    return rows


def first_open_day(schedule, now) -> datetime.date | None:
    today = timezone.localdate(now)
    return next(
        (
            day
            for day in services.service_days(schedule)
            if day >= today and services.in_time(schedule, day, now)
        ),
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


def run(changes, user, *, dry_run: bool):
    """Each change's outcome and price, per child, in the order asked: cancellations
    first, so a place freed by one child can go to the other."""
    children = {}
    total = Decimal(0)
    for change in sorted(changes, key=lambda c: c.action is services.book):
        if dry_run:
            outcome = services.simulate(
                change.action, change.enrolment, change.session, change.days, user=user
            )
        else:
            outcome = change.action(
                change.enrolment, change.session, change.days, user=user
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


# --- the calendar page ----------------------------------------------------------------


def carried_fields(post):
    """The posted fields, to send again from the confirmation page."""
    return [
        (name, value)
        for name in post
        if name not in ("csrfmiddlewaretoken", "etape")
        for value in post.getlist(name)
    ]


@family_required
def calendar(request, enrolment_id):
    enrolment = enrolment_of(request, enrolment_id)
    schedule = enrolment.period.schedule
    now = timezone.now()
    family_enrolments = active_enrolments(request.family).filter(
        period=enrolment.period
    )
    siblings = family_enrolments.exclude(pk=enrolment.pk)
    posted = request.POST if request.method == "POST" else None
    kind = posted.get("formulaire") if posted else None
    month = month_asked(
        (posted or request.GET).get("mois", ""),
        enrolment.period,
        timezone.localdate(now),
    )
    rows = month_rows(enrolment, month, now)
    # Every cell of the month may be posted: one whose deadline passed since the page
    # was shown reaches the services, which refuse it and say why.
    cells = [cell.key for row in rows for cell in row.cells]
    month_form = MonthForm(
        posted if kind == MONTH_FORM else None,
        cells=cells,
        siblings=siblings,
    )
    recurring_form = RecurringForm(
        posted if kind == RECURRING_FORM else None,
        schedule=schedule,
        enrolments=family_enrolments.order_by("child__birth_date", "pk"),
        first_open=first_open_day(schedule, now),
        initial={"enfants": [enrolment.pk]},
        prefix="r",
    )
    form = {MONTH_FORM: month_form, RECURRING_FORM: recurring_form}.get(kind)
    step = posted.get("etape", PREVIEW) if posted else None
    if form is not None and form.is_valid():
        changes = (
            month_changes(form, enrolment, rows)
            if form is month_form
            else recurring_changes(form)
        )
        try:
            if step == CONFIRM:
                with transaction.atomic():
                    summary = run(changes, request.user, dry_run=False)
                request.session[SUMMARY_KEY] = {
                    "enrolment": enrolment.pk,
                    "month": month.isoformat(),
                    **summary,
                }
                return redirect("family_portal:bookings:result", enrolment.pk)
            if step != EDIT:
                preview = readable(run(changes, request.user, dry_run=True))
                return render(
                    request,
                    "bookings/confirm.html",
                    {
                        "enrolment": enrolment,
                        "preview": preview,
                        "carried": carried_fields(posted),
                        "month": month,
                    },
                )
        except services.BookingError as error:
            form.add_error(None, error.message)
    if form is month_form and form.is_bound and form.is_valid():
        ticked = set(form.cleaned_data["jours"])
        for row in rows:
            for cell in row.cells:
                cell.checked = cell.key in ticked if cell.editable else cell.held
    else:
        for row in rows:
            for cell in row.cells:
                cell.checked = cell.held
    months = months_of(enrolment.period)
    index = months.index(month)
    rule = services.deadline_rule(schedule)
    return render(
        request,
        "bookings/calendar.html",
        {
            "enrolment": enrolment,
            "schedule": schedule,
            "sessions": list(schedule.sessions.all()),
            "rows": rows,
            "month": month,
            "month_name": month_title(month),
            "previous": months[index - 1] if index else None,
            "next": months[index + 1] if index + 1 < len(months) else None,
            "previous_name": month_title(months[index - 1]) if index else "",
            "next_name": (
                month_title(months[index + 1]) if index + 1 < len(months) else ""
            ),
            "month_form": month_form,
            "recurring_form": recurring_form,
            "siblings": list(siblings),
            "deadline": services.describe_deadline(rule),
            "unit_price": f"{euros(enrolment.amount)} / {enrolment.unit}",
        },
        status=200 if form is None or form.is_valid() else 400,
    )


@family_required
def result(request, enrolment_id):
    enrolment = enrolment_of(request, enrolment_id)
    summary = request.session.get(SUMMARY_KEY)
    if not summary or summary.get("enrolment") != enrolment.pk:
        return redirect("family_portal:bookings:calendar", enrolment.pk)
    month = datetime.date.fromisoformat(summary["month"])
    return render(
        request,
        "bookings/result.html",
        {
            "enrolment": enrolment,
            "summary": readable(summary),
            "back": reverse("family_portal:bookings:calendar", args=[enrolment.pk])
            + f"?mois={month:%Y-%m}",
        },
    )


# --- a sick child ---------------------------------------------------------------------


@family_required
def absence(request):
    children = request.family.children.all()
    initial = {}
    asked = request.GET.get("enfant", "")
    if asked.isdigit() and children.filter(pk=asked).exists():
        initial["enfant"] = int(asked)
    form = AbsenceForm(
        request.POST or None,
        request.FILES or None,
        children=children,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = services.report_absence(
            data["enfant"],
            data["premier_jour"],
            data["dernier_jour"],
            user=request.user,
            certificate=data["certificat"],
            content_type=form.content_type,
        )
        request.session["absence_reported"] = report.pk
        return redirect("family_portal:bookings:absence")
    reported = None
    reported_pk = request.session.pop("absence_reported", None)
    reports = list(
        AbsenceReport.objects.filter(child__family=request.family).select_related(
            "child"
        )[:20]
    )
    if reported_pk:
        reported = next((r for r in reports if r.pk == reported_pk), None)
    return render(
        request,
        "bookings/absence.html",
        {
            "form": form,
            "reports": reports,
            "reported": reported,
            "enrolments": [
                e
                for e in active_enrolments(request.family)
                if hasattr(e.period, "schedule")
            ],
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


# --- the iCal feed --------------------------------------------------------------------


@family_required
def feed_settings(request):
    feed, _ = CalendarFeed.objects.get_or_create(family=request.family)
    renewed = False
    if request.method == "POST":
        feed.renew()
        renewed = True
    url = request.build_absolute_uri(
        reverse("family_portal:bookings:feed", args=[feed.token])
    )
    return render(
        request,
        "bookings/feed.html",
        {
            "url": url,
            "webcal": "webcal://" + url.split("://", 1)[1],
            "renewed": renewed,
            "feed": feed,
        },
    )


@require_GET
@never_cache
def feed(request, token):
    """The family's booked days as an iCal feed; the token is the only key."""
    found = CalendarFeed.objects.filter(token=token).select_related("family").first()
    if found is None:
        raise Http404("Agenda inconnu.")
    response = HttpResponse(
        calendar_feed.ical(found.family, request.get_host()),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="reservations.ics"'
    return response
