"""The agents' attendance screens in the Wagtail admin (/admin/presences/): a service's
month (unchecked, presences without booking, late pick-ups, corrections, sessions not
run), closing it, correcting a mark with a reason, and the export per site."""

from __future__ import annotations

import datetime
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from family_portal.bookings.models import ServiceSchedule, ServiceSession
from family_portal.models import Enrolment

from .closing import ClosingError, close_month, reopen_month
from .groups import can_reopen_month, manages_attendance
from .models import Mark, MonthClosing, Tap
from .report import export_csv, month_report
from .services import month_bounds, month_closing, site_of
from .taps import TapError, correct


def render(request, template, title, context, *, subtitle=""):
    """A page in the back-office's layout (templates/backoffice/base.html)."""
    return TemplateResponse(
        request,
        f"attendance/admin/{template}",
        {
            "page_title": title,
            "page_subtitle": subtitle,
            "header_icon": "tick",
            **context,
        },
    )


def agents_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not manages_attendance(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _month(value: str) -> datetime.date:
    try:
        return month_bounds(value)[0]
    except ValueError as error:
        raise Http404("Mois invalide (AAAA-MM attendu).") from error


def _recent_months(today, count=4):
    months, month = [], today.replace(day=1)
    for _ in range(count):
        months.append(month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months


@never_cache
@agents_only
def services(request):
    schedules = ServiceSchedule.objects.select_related("period__activity").order_by(
        "period__activity__title", "period__start"
    )
    return render(
        request,
        "services.html",
        "Présences",
        {"schedules": schedules, "months": _recent_months(timezone.localdate())},
    )


def _site(request, schedule):
    site_id = request.GET.get("lieu")
    if not site_id:
        return None
    site = schedule.attendance_sites.filter(pk=site_id if site_id.isdigit() else 0)
    if not site.exists():
        raise Http404("Ce lieu n'accueille pas ce service.")
    return site.get()


@never_cache
@agents_only
def month(request, schedule_id, month):
    schedule = get_object_or_404(
        ServiceSchedule.objects.select_related("period__activity"), pk=schedule_id
    )
    first = _month(month)
    report = month_report(schedule, first, _site(request, schedule))
    closing = month_closing(schedule.pk, first)
    closer = closing.closed_by if closing else None
    return render(
        request,
        "month.html",
        f"Présences — {schedule.period.activity.title}",
        {
            "report": report,
            "unchecked": report.unchecked(),
            "closing_by": (closer.get_full_name() or closer.username) if closer else "",
            "may_reopen": closing is not None and can_reopen_month(request.user),
            "reopenings": MonthClosing.objects.filter(
                schedule=schedule, month=first, reopened_at__isnull=False
            ).select_related("closed_by", "reopened_by"),
            "schedule": schedule,
            "month_key": first.strftime("%Y-%m"),
            "previous": (first - datetime.timedelta(days=1)).strftime("%Y-%m"),
            "next": (first + datetime.timedelta(days=32)).strftime("%Y-%m"),
        },
        subtitle=f"{schedule.period.label}, {first:%m/%Y}",
    )


@never_cache
@agents_only
def export(request, schedule_id, month):
    schedule = get_object_or_404(ServiceSchedule, pk=schedule_id)
    first = _month(month)
    site = _site(request, schedule)
    report = month_report(schedule, first, site)
    name = f"presences-{schedule.pk}-{first:%Y-%m}"
    if site is not None:
        name += f"-lieu-{site.pk}"
    response = HttpResponse(export_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@agents_only
def close(request, schedule_id, month):
    schedule = get_object_or_404(ServiceSchedule, pk=schedule_id)
    first = _month(month)
    if request.method != "POST":  # after the lookups: a bad id is a 404
        return HttpResponseNotAllowed(["POST"])
    try:
        close_month(schedule, first, user=request.user)
    except ClosingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Mois de {first:%m/%Y} clôturé : toute modification demandera désormais un "
            "motif et figurera en correction sur la facture suivante.",
        )
    return redirect(
        "attendance_admin:month", schedule_id=schedule.pk, month=first.strftime("%Y-%m")
    )


@never_cache
@agents_only
def reopen(request, schedule_id, month):
    """Reopen a closed month: a permission of its own, a reason, kept on the closing."""
    schedule = get_object_or_404(
        ServiceSchedule.objects.select_related("period__activity"), pk=schedule_id
    )
    first = _month(month)
    if not can_reopen_month(request.user):
        raise PermissionDenied
    back = reverse(
        "attendance_admin:month",
        kwargs={"schedule_id": schedule.pk, "month": first.strftime("%Y-%m")},
    )
    closing = month_closing(schedule.pk, first)
    error = reason = ""
    if closing is None:
        error = f"Le mois de {first:%m/%Y} n'est pas clôturé : rien à rouvrir."
    elif request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            reopen_month(schedule, first, user=request.user, reason=reason)
        except ClosingError as problem:
            error = str(problem)
        else:
            messages.success(
                request,
                f"Mois de {first:%m/%Y} rouvert : les pointages peuvent à nouveau être "
                "modifiés. Clôturez-le une fois repris.",
            )
            return redirect(back)
    response = render(
        request,
        "reopen.html",
        f"Rouvrir le mois — {schedule.period.activity.title}",
        {"closing": closing, "error": error, "reason": reason, "back": back},
        subtitle=f"{schedule.period.label}, {first:%m/%Y}",
    )
    if error and closing is not None:
        response.status_code = 400
    return response


FIELD_CHOICES = [
    ("status", "Présence"),
    ("arrival", "Heure d'arrivée"),
    ("departure", "Heure de départ"),
]


@never_cache
@agents_only
def correct_mark(request, enrolment_id, session_id, day):
    """An agent changes a child's status or times for a session on a day; once the
    month is closed a reason is required and the change is a correction."""
    session = get_object_or_404(
        ServiceSession.objects.select_related("schedule__period__activity"),
        pk=session_id,
    )
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("child"),
        pk=enrolment_id,
        period_id=session.schedule.period_id,
    )
    mark = Mark.objects.filter(enrolment=enrolment, session=session, date=day).first()
    closing = month_closing(session.schedule_id, day)
    back = reverse(
        "attendance_admin:month",
        kwargs={"schedule_id": session.schedule_id, "month": day.strftime("%Y-%m")},
    )
    error = ""
    values = {"field": "status", "value": "", "reason": ""}
    if request.method == "POST":
        values = {key: request.POST.get(key, "").strip() for key in values}
        site = (mark and mark.site) or site_of(
            enrolment.child, list(session.schedule.attendance_sites.all())
        )
        if site is None:
            error = "Aucun lieu d'accueil n'accueille cet enfant pour ce service."
        else:
            if mark is None:
                mark = Mark(enrolment=enrolment, session=session, date=day, site=site)
            mark.site = site
            try:
                result = correct(
                    request.user,
                    mark,
                    values["field"],
                    values["value"],
                    values["reason"],
                )
            except TapError as problem:
                error = str(problem)
            else:
                if result.outcome == Tap.Outcome.APPLIED:
                    messages.success(request, "Pointage corrigé.")
                    return redirect(back)
                error = result.message or "La correction n'a pas été enregistrée."
    return render(
        request,
        "correct.html",
        f"Corriger le pointage de {enrolment.child.first_name} {enrolment.child.last_name}",
        {
            "enrolment": enrolment,
            "session": session,
            "day": day,
            "mark": mark if mark and mark.pk else None,
            "closing": closing,
            "error": error,
            "values": values,
            "fields": FIELD_CHOICES,
            "statuses": Mark.Status.choices,
            "history": Tap.objects.filter(mark=mark).select_related("user")
            if mark and mark.pk
            else [],
            "back": back,
        },
        subtitle=f"{session.schedule.period.activity.title} — {session.name}, {day:%d/%m/%Y}",
    )
