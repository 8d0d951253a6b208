"""The service calendar as a month grid in the admin: for each day whether the service
runs and why, how many children are booked per session (and the places), and, for agents,
closures and extra days added or taken back from the same page."""

from __future__ import annotations

import calendar as calendar_module
import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from activities.service_calendar import WEEKDAYS

from .. import closures, services
from ..models import Booking, CalendarChange, ServiceSchedule
from ..month import month_asked, month_end, month_title, months_of
from ..permissions import CHANGE_CALENDAR, VIEW_SCHEDULE, staff_required
from .common import parse_id, render
from .forms import CalendarChangeForm


@dataclass
class GridDay:
    date: datetime.date
    in_month: bool
    in_period: bool = False
    runs: bool = False
    reason: str = ""
    change: CalendarChange | None = None
    counts: list[tuple] = field(default_factory=list)  # (session, booked)

    @property
    def css(self) -> str:
        if not self.in_period:
            return "out"
        if self.change is not None:
            return self.change.kind
        return "runs" if self.runs else "off"


def month_weeks(schedule: ServiceSchedule, month: datetime.date):
    """The month as weeks of ``GridDay`` (Monday first), with the day's bookings."""
    end = month_end(month)
    described = {day.date: day for day in services.month_grid(schedule, month, end)}
    changes = {
        change.date: change
        for change in schedule.changes.in_force()
        .filter(date__range=(month, end))
        .select_related("created_by")
    }
    sessions = list(schedule.sessions.all())
    booked = Counter(
        {
            (row["session_id"], row["date"]): row["count"]
            for row in Booking.objects.filter(
                session__schedule=schedule,
                date__range=(month, end),
                status=Booking.Status.BOOKED,
            )
            .values("session_id", "date")
            .annotate(count=Count("pk"))
        }
    )
    weeks = []
    for week in calendar_module.Calendar().monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            cell = GridDay(day, day.month == month.month)
            if cell.in_month and day in described:
                info = described[day]
                cell.in_period, cell.runs, cell.reason = True, info.runs, info.reason
                cell.change = changes.get(day)
                cell.counts = [
                    (session, booked[(session.pk, day)])
                    for session in sessions
                    if info.runs or booked[(session.pk, day)]
                ]
            row.append(cell)
        weeks.append(row)
    return weeks


def grid_url(schedule, month: datetime.date) -> str:
    return (
        reverse("bookings_backoffice:schedule_calendar", args=[schedule.pk])
        + f"?mois={month:%Y-%m}"
    )


@never_cache
@staff_required(VIEW_SCHEDULE, agent=False)
def schedule_calendar(request, pk):
    schedule = get_object_or_404(
        ServiceSchedule.objects.select_related("period__activity"), pk=pk
    )
    period = schedule.period
    today = timezone.localdate()
    source = request.POST if request.method == "POST" else request.GET
    month = month_asked(source.get("mois", ""), period, today)
    may_change = request.user.has_perm(CHANGE_CALENDAR)
    form = CalendarChangeForm(
        request.POST if request.method == "POST" and "ajouter" in request.POST else None
    )
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if "retirer" in request.POST:
            change = schedule.changes.filter(
                pk=parse_id(request.POST["retirer"])
            ).first()
            if change is None:
                messages.error(request, "Ce changement n'existe pas ou plus.")
                return redirect(grid_url(schedule, month))
            try:
                told = closures.remove_change(change, agent=request.user)
            except services.BookingError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    f"Le changement du {change.date:%d/%m/%Y} est retiré"
                    + (
                        f" ; {told} famille(s) prévenue(s) par courriel."
                        if told
                        else "."
                    ),
                )
            return redirect(grid_url(schedule, change.date.replace(day=1)))
        if form.is_valid():
            data = form.cleaned_data
            try:
                change = closures.add_change(
                    schedule,
                    data["date"],
                    data["kind"],
                    data["reason"],
                    agent=request.user,
                )
            except services.BookingError as error:
                form.add_error(None, error.message)
            else:
                told = change.families_told
                messages.success(
                    request,
                    f"{change.get_kind_display()} le {change.date:%d/%m/%Y} enregistrée"
                    + (
                        f" ; {told} famille(s) prévenue(s) par courriel."
                        if told
                        else "."
                    ),
                )
                return redirect(grid_url(schedule, change.date.replace(day=1)))
    months = months_of(period)
    index = months.index(month)
    return render(
        request,
        "schedule_calendar.html",
        f"Calendrier : {period.activity.title}",
        {
            "schedule": schedule,
            "period": period,
            "month": month,
            "month_name": month_title(month),
            "previous": months[index - 1] if index else None,
            "next": months[index + 1] if index + 1 < len(months) else None,
            "weekdays": WEEKDAYS,
            "weeks": month_weeks(schedule, month),
            "sessions": list(schedule.sessions.all()),
            "form": form if may_change else None,
            "history": schedule.changes.select_related(
                "created_by", "removed_by"
            ).order_by("-created_at")[:30],
            "deadline": services.describe_deadline(services.deadline_rule(schedule)),
            "deadline_warning": services.deadline_mismatch(schedule),
        },
        icon="date",
        subtitle=f"{period.label} ({period.start:%d/%m/%Y} – {period.end:%d/%m/%Y})",
    )
