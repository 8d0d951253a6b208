"""A family's bookings in the back-office, and booking or cancelling at the counter on
the family's behalf: the parent's month of checkboxes, every day editable (past the
deadline too), the same services, a trail that names the agent."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from family_portal.backoffice.links import family_url
from family_portal.models import Enrolment, Family

from .. import services
from ..forms import MonthForm, RecurringForm
from ..models import AbsenceReport, Booking, BookingEvent, WaitingEntry
from ..month import (
    month_asked,
    month_changes,
    month_rows,
    month_title,
    months_of,
    readable,
    recurring_changes,
    run,
)
from ..permissions import BOOK_FOR_FAMILY, VIEW_BOOKINGS, staff_required
from .common import render

PREVIEW, CONFIRM = "apercu", "confirmer"
RECURRING_FORM = "semaine"


def family_enrolments(family):
    return (
        family.enrolments.filter(
            status__in=services.ACTIVE_ENROLMENTS, period__schedule__isnull=False
        )
        .select_related("child", "period__activity", "period__schedule")
        .order_by("-period__start", "child__birth_date", "pk")
    )


@never_cache
@staff_required(VIEW_BOOKINGS)
def family_bookings(request, family_pk):
    family = get_object_or_404(Family, pk=family_pk)
    today = timezone.localdate()
    enrolments = list(family_enrolments(family))
    upcoming = {}
    for booking in (
        Booking.objects.filter(
            enrolment__in=enrolments, date__gte=today, status=Booking.Status.BOOKED
        )
        .select_related("session")
        .order_by("date", "session__sort_order")
    ):
        upcoming.setdefault(booking.enrolment_id, []).append(booking)
    lines = [
        {
            "enrolment": enrolment,
            "count": len(upcoming.get(enrolment.pk, [])),
            "next": upcoming.get(enrolment.pk, [])[:6],
            "sessions_named": len(
                {b.session_id for b in upcoming.get(enrolment.pk, [])}
            )
            > 1,
        }
        for enrolment in enrolments
    ]
    events = (
        BookingEvent.objects.filter(booking__enrolment__family=family)
        .select_related("user", "booking__session", "booking__enrolment__child")
        .order_by("-at", "-pk")[:60]
    )
    return render(
        request,
        "family_bookings.html",
        "Réservations de la famille",
        {
            "family": family,
            "family_url": family_url(family),
            "lines": lines,
            "waiting": WaitingEntry.objects.filter(
                enrolment__family=family,
                status=WaitingEntry.Status.WAITING,
                date__gte=today,
            ).select_related("enrolment__child", "session"),
            "absences": AbsenceReport.objects.filter(
                child__family=family
            ).select_related("child", "checked_by")[:20],
            "events": events,
        },
        icon="date",
        subtitle=family.name,
    )


def carried_fields(post):
    return [
        (name, value)
        for name in post
        if name not in ("csrfmiddlewaretoken", "etape")
        for value in post.getlist(name)
    ]


@never_cache
@staff_required(VIEW_BOOKINGS, BOOK_FOR_FAMILY)
def counter_month(request, enrolment_pk):
    """The agent's month of an enrolment: tick and untick days, or book and cancel a
    weekly pattern (for the child and the siblings enrolled in the same period), see
    what it changes and costs, confirm. Past the deadline too: the trail says the agent
    did it late."""
    enrolment = get_object_or_404(
        Enrolment.objects.filter(
            status__in=services.ACTIVE_ENROLMENTS, period__schedule__isnull=False
        ).select_related("child", "family", "period__activity", "period__schedule"),
        pk=enrolment_pk,
    )
    schedule = enrolment.period.schedule
    now = timezone.now()
    posted = request.POST if request.method == "POST" else None
    month = month_asked(
        (posted or request.GET).get("mois", ""),
        enrolment.period,
        timezone.localdate(now),
    )
    rows = month_rows(enrolment, month, now, by_agent=True)
    siblings = (
        family_enrolments(enrolment.family)
        .filter(period=enrolment.period)
        .exclude(pk=enrolment.pk)
    )
    recurring = posted is not None and posted.get("formulaire") == RECURRING_FORM
    today = timezone.localdate(now)
    calendars = {}
    form = MonthForm(
        None if recurring else posted,
        cells=[cell.key for row in rows for cell in row.cells],
        siblings=siblings,
    )
    recurring_form = RecurringForm(
        posted if recurring else None,
        schedule=schedule,
        enrolments=family_enrolments(enrolment.family)
        .filter(period=enrolment.period)
        .order_by("child__birth_date", "pk"),
        # At the counter the deadline does not hold: from the next service day.
        first_open=lambda: next(
            (
                day
                for day in services.open_days_of(schedule, calendars).days
                if day >= today
            ),
            None,
        ),
        calendars=calendars,
        initial={"enfants": [enrolment.pk]},
        prefix="r",
    )
    posted_form = recurring_form if recurring else form
    here = (
        reverse("bookings_backoffice:counter_month", args=[enrolment.pk])
        + f"?mois={month:%Y-%m}"
    )
    preview = None
    if posted is not None and posted_form.is_valid():
        changes = (
            recurring_changes(recurring_form)
            if recurring
            else month_changes(form, enrolment, rows)
        )
        step = posted.get("etape", PREVIEW)
        try:
            if step == CONFIRM:
                with transaction.atomic():
                    summary = readable(
                        run(
                            changes,
                            request.user,
                            dry_run=False,
                            by_agent=True,
                            calendars=calendars,
                        )
                    )
                messages.success(request, _said(summary))
                return redirect(here)
            preview = readable(
                run(
                    changes,
                    request.user,
                    dry_run=True,
                    by_agent=True,
                    calendars=calendars,
                )
            )
        except services.BookingError as error:
            posted_form.add_error(None, error.message)
    ticked = (
        set(form.cleaned_data["jours"]) if form.is_bound and form.is_valid() else None
    )
    for row in rows:
        for cell in row.cells:
            cell.checked = cell.key in ticked if ticked is not None else cell.held
    months = months_of(enrolment.period)
    index = months.index(month)
    return render(
        request,
        "counter_month.html",
        f"Réservations au guichet : {enrolment.child.first_name} {enrolment.child.last_name}",
        {
            "enrolment": enrolment,
            "family": enrolment.family,
            "sessions": list(schedule.sessions.all()),
            "rows": rows,
            "month": month,
            "month_name": month_title(month),
            "previous": months[index - 1] if index else None,
            "next": months[index + 1] if index + 1 < len(months) else None,
            "form": form,
            "recurring_form": recurring_form,
            "preview": preview,
            "carried": carried_fields(posted) if preview else [],
            "deadline": services.describe_deadline(services.deadline_rule(schedule)),
            "deadline_warning": services.deadline_mismatch(schedule),
        },
        icon="date",
        subtitle=f"{enrolment.period.activity.title}, {enrolment.period.label}",
        status=400 if posted_form.is_bound and not posted_form.is_valid() else 200,
    )


def _said(summary) -> str:
    """The confirmation, in one French sentence per child and session."""
    parts = []
    for child in summary["children"]:
        for line in child["lines"]:
            if line["done"]:
                verb = "réservé" if line["book"] else "annulé"
                parts.append(
                    f"{child['name']}, {line['session']} : {verb} "
                    f"{line['done_count']} jour(s) ({line['done_text']})"
                )
            if line["waiting"]:
                parts.append(
                    f"{child['name']}, {line['session']} : liste d'attente "
                    f"({line['waiting_text']})"
                )
            for day, why in line["refused_list"]:
                parts.append(f"{child['name']}, {day} : {why}")
    return ("Enregistré. " + " ; ".join(parts) + ".") if parts else "Aucun changement."
