"""The parent's side of bookings: a month of checkboxes per enrolment (works without
JavaScript), a weekly pattern, the price of a change before it is saved, a sick child,
and the family's iCal feed. Every change goes through ``services``."""

from __future__ import annotations

import datetime
from functools import partial

from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from family_portal.views import family_required

from . import calendar_feed, services
from .forms import (
    AbsenceForm,
    MonthForm,
    RecurringForm,
)
from .models import AbsenceReport, CalendarFeed
from .month import (
    active_enrolments,
    enrolment_of,
    euros,
    first_open_day,
    month_asked,
    month_changes,
    month_rows,
    month_title,
    months_of,
    readable,
    recurring_changes,
    run,
)

SUMMARY_KEY = "bookings_summary"
MONTH_FORM, RECURRING_FORM = "mois", "semaine"
PREVIEW, CONFIRM, EDIT = "apercu", "confirmer", "modifier"


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
    # The month's cells are read when the month's form is posted or the page shown,
    # not for a weekly change, which may span the whole period (kept cheap).
    rows = None if kind == RECURRING_FORM else month_rows(enrolment, month, now)
    # Every cell of the month may be posted: one whose deadline passed since the page
    # was shown reaches the services, which refuse it and say why.
    cells = [cell.key for row in rows or [] for cell in row.cells]
    month_form = MonthForm(
        posted if kind == MONTH_FORM else None,
        cells=cells,
        siblings=siblings,
    )
    # The schedule's calendar and deadlines, read once for the form and the changes.
    calendars = {}
    recurring_form = RecurringForm(
        posted if kind == RECURRING_FORM else None,
        schedule=schedule,
        enrolments=family_enrolments.order_by("child__birth_date", "pk"),
        first_open=partial(first_open_day, schedule, now, calendars),
        calendars=calendars,
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
                    summary = run(
                        changes, request.user, dry_run=False, calendars=calendars
                    )
                request.session[SUMMARY_KEY] = {
                    "enrolment": enrolment.pk,
                    "month": month.isoformat(),
                    **summary,
                }
                return redirect("family_portal:bookings:result", enrolment.pk)
            if step != EDIT:
                preview = readable(
                    run(changes, request.user, dry_run=True, calendars=calendars)
                )
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
    if rows is None:
        rows = month_rows(enrolment, month, now)
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
