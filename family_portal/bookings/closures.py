"""Agents change a service's calendar: a closure (strike, teacher training day) or an extra
day, and taking one back. Every change says who made it and when; taking one back keeps
the row (``removed_at``, ``removed_by``).

The booked days of a day that closes are kept, not cancelled: the families did not cancel
(billing reads the day as *closed*, not as a late cancellation) and, should the closure be
taken back, the children are expected again without anybody booking twice. Each family
with a child booked that day is told by e-mail, once, after the commit — a closure the
family learns about at the school gate is not a serious service — and told again if the
closure is taken back.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from family_portal.backoffice.mail import send_family_mail

from .models import Booking, CalendarChange, ServiceSchedule
from .services import BookingError, month_grid

REASON_LENGTH = CalendarChange._meta.get_field("reason").max_length


def _describe(schedule: ServiceSchedule, day: date):
    (described,) = month_grid(schedule, day, day)
    return described


def add_change(
    schedule: ServiceSchedule, day: date, kind: str, reason: str, *, agent
) -> CalendarChange:
    """Close ``day`` or add it as an extra day; a closure tells the families of the
    children booked that day. Raises ``BookingError`` (French) when it makes no sense."""
    reason = (reason or "").strip()
    period = schedule.period
    if not reason:
        raise BookingError(
            "Indiquez le motif (grève, journée pédagogique…) : il est montré aux "
            "familles."
        )
    if len(reason) > REASON_LENGTH:
        raise BookingError(f"Le motif tient en {REASON_LENGTH} caractères au plus.")
    if not period.start <= day <= period.end:
        raise BookingError(
            f"Le {day:%d/%m/%Y} n'est pas dans la période, du "
            f"{period.start:%d/%m/%Y} au {period.end:%d/%m/%Y}."
        )
    if kind not in CalendarChange.Kind.values:
        raise BookingError("Choisissez une fermeture ou un jour ajouté.")
    with transaction.atomic():
        existing = (
            CalendarChange.objects.in_force()
            .select_for_update()
            .filter(schedule=schedule, date=day)
            .first()
        )
        if existing is not None:
            raise BookingError(
                f"Le {day:%d/%m/%Y} a déjà un changement ({existing}) : retirez-le "
                "d'abord."
            )
        described = _describe(schedule, day)
        if kind == CalendarChange.Kind.CLOSURE and not described.runs:
            raise BookingError(
                f"Le service ne fonctionne déjà pas le {day:%d/%m/%Y} "
                f"({described.reason})."
            )
        if kind == CalendarChange.Kind.EXTRA and described.runs:
            raise BookingError(f"Le service fonctionne déjà le {day:%d/%m/%Y}.")
        try:
            with transaction.atomic():
                change = CalendarChange.objects.create(
                    schedule=schedule,
                    date=day,
                    kind=kind,
                    reason=reason,
                    created_by=agent,
                    created_at=timezone.now(),
                )
        except IntegrityError as error:  # another agent, at the same moment
            raise BookingError(
                f"Le {day:%d/%m/%Y} vient d'être modifié par ailleurs : rechargez la "
                "page."
            ) from error
        if kind == CalendarChange.Kind.CLOSURE:
            change.families_told = _tell_families(
                schedule, day, "bookings/email/day_closed.txt", reason
            )
            change.save(update_fields=["families_told"])
    return change


def remove_change(change: CalendarChange, *, agent) -> int:
    """Take a change back; returns how many families are told (the day reopens for the
    children booked, or an extra day with bookings no longer runs)."""
    with transaction.atomic():
        change = CalendarChange.objects.select_for_update().get(pk=change.pk)
        if change.removed_at is not None:
            raise BookingError("Ce changement a déjà été retiré.")
        change.removed_at = timezone.now()
        change.removed_by = agent
        change.save(update_fields=["removed_at", "removed_by"])
        template = (
            "bookings/email/day_reopened.txt"
            if change.kind == CalendarChange.Kind.CLOSURE
            else "bookings/email/day_closed.txt"
        )
        reason = (
            change.reason
            if change.kind == CalendarChange.Kind.CLOSURE
            else f"le jour ajouté ({change.reason}) est retiré du calendrier"
        )
        return _tell_families(change.schedule, change.date, template, reason)


def _tell_families(schedule, day: date, template: str, reason: str) -> int:
    """One e-mail per family with a child booked on ``day``, after the commit."""
    bookings = (
        Booking.objects.filter(
            session__schedule=schedule, date=day, status=Booking.Status.BOOKED
        )
        .select_related("enrolment__family", "enrolment__child", "session")
        .order_by("enrolment__family_id", "enrolment__child__first_name")
    )
    by_family: dict[int, tuple[object, list]] = {}
    for booking in bookings:
        family = booking.enrolment.family
        by_family.setdefault(family.pk, (family, []))[1].append(booking)
    activity = schedule.period.activity
    for family, booked in by_family.values():
        names = sorted({b.enrolment.child.first_name for b in booked})
        transaction.on_commit(
            partial(
                send_family_mail,
                family,
                f"{activity.title} : "
                + (
                    "pas d'accueil"
                    if template.endswith("closed.txt")
                    else "accueil maintenu"
                )
                + f" le {day:%d/%m/%Y}",
                template,
                {
                    "activity": activity,
                    "day": day,
                    "reason": reason,
                    "children": names,
                    "sessions": sorted({b.session.name for b in booked}),
                },
            )
        )
    return len(by_family)
