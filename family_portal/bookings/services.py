"""Booking and cancelling days: one place that applies the calendar, the deadline, the
capacity and the waiting list, for parents and agents alike, and leaves a trail.

The parent's calendar, the counter and (later) attendance call these functions; none of
them writes a ``Booking`` itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from activities.billing_rules import Deadline, deadline_for, is_in_time, parse_deadline
from activities.service_calendar import ServiceCalendar, calendar_days
from family_portal.backoffice.mail import send_family_mail
from family_portal.models import Enrolment

from .models import (
    Booking,
    BookingEvent,
    CalendarChange,
    SchoolCalendarSettings,
    ServiceSchedule,
    ServiceSession,
    WaitingEntry,
)

ACTIVE_ENROLMENTS = (Enrolment.Status.CONFIRMED, Enrolment.Status.QF_PENDING)
# Units billed per session, and those billed by time (minutes per unit).
TIME_UNITS = {"heure": 60, "demi-heure": 30, "quart d'heure": 15}
FLAT_UNITS = ("période", "année", "mois", "trimestre", "forfait")


class BookingError(Exception):
    """A request that cannot be carried out at all; the message is French, for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Outcome:
    """What happened to each day asked for."""

    done: list[date] = field(default_factory=list)
    unchanged: list[date] = field(default_factory=list)
    waiting: list[date] = field(default_factory=list)
    refused: list[tuple[date, str]] = field(default_factory=list)


# --- the calendar ---------------------------------------------------------------------


def calendar_settings() -> SchoolCalendarSettings:
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return SchoolCalendarSettings()
    return SchoolCalendarSettings.for_site(site)


def service_calendar(schedule: ServiceSchedule) -> ServiceCalendar:
    settings = calendar_settings()
    changes = list(schedule.changes.all())
    return ServiceCalendar(
        weekdays=frozenset(schedule.weekdays),
        zone=settings.zone,
        school_term=schedule.school_term,
        public_holidays=settings.public_holidays,
        closures={
            c.date: c.reason for c in changes if c.kind == CalendarChange.Kind.CLOSURE
        },
        extra_days={
            c.date: c.reason for c in changes if c.kind == CalendarChange.Kind.EXTRA
        },
    )


def month_grid(schedule: ServiceSchedule, start: date, end: date):
    """The period's days between ``start`` and ``end``, each with whether the service
    runs and why, for the admin's month grid and the parent's calendar."""
    period = schedule.period
    start, end = max(start, period.start), min(end, period.end)
    if start > end:
        return []
    return calendar_days(service_calendar(schedule), start, end)


def service_days(schedule: ServiceSchedule) -> list[date]:
    return [
        day.date
        for day in month_grid(schedule, schedule.period.start, schedule.period.end)
        if day.runs
    ]


def deadline_rule(schedule: ServiceSchedule) -> Deadline:
    return parse_deadline(schedule.deadline)


def deadline_of(schedule: ServiceSchedule, day: date) -> datetime:
    """The last local minute to book or cancel ``day`` online."""
    return deadline_for(deadline_rule(schedule), day)


# --- booking and cancelling -----------------------------------------------------------


def _check_enrolment(enrolment: Enrolment, session: ServiceSession) -> None:
    if enrolment.period_id != session.schedule.period_id:
        raise BookingError(
            "Cette séance n'appartient pas à la période de l'inscription."
        )
    if enrolment.status not in ACTIVE_ENROLMENTS:
        raise BookingError(
            f"L'inscription de {enrolment.child.first_name} n'est pas active "
            f"({enrolment.get_status_display().lower()}) : les jours ne peuvent pas "
            "être réservés."
        )


def _deadline_message(rule: Deadline, day: date) -> str:
    deadline = deadline_for(rule, day)
    return (
        f"La date limite pour le {day:%d/%m/%Y} était le {deadline:%d/%m/%Y} à "
        f"{deadline:%H:%M} : adressez-vous au service pour toute modification."
    )


def book(
    enrolment: Enrolment,
    session: ServiceSession,
    days: Iterable[date],
    *,
    user,
    by_agent: bool = False,
    now: datetime | None = None,
) -> Outcome:
    """Book ``days`` of ``session`` for the enrolled child. A full day puts the child on
    that day's waiting list; past the deadline only an agent can book."""
    _check_enrolment(enrolment, session)
    now = now or timezone.now()
    schedule = session.schedule
    rule = deadline_rule(schedule)
    runs = set(service_days(schedule))
    outcome = Outcome()
    wanted = sorted(set(days))
    with transaction.atomic():
        if session.capacity is not None:
            # One booking of a limited session at a time: the count below stays true
            # until this transaction commits.
            ServiceSession.objects.select_for_update().filter(pk=session.pk).first()
            taken = Counter(
                Booking.objects.filter(
                    session=session, date__in=wanted, status=Booking.Status.BOOKED
                ).values_list("date", flat=True)
            )
        existing = {
            booking.date: booking
            for booking in Booking.objects.select_for_update().filter(
                enrolment=enrolment, session=session, date__in=wanted
            )
        }
        for day in wanted:
            if day not in runs:
                outcome.refused.append(
                    (day, f"Le service ne fonctionne pas le {day:%d/%m/%Y}.")
                )
                continue
            in_time = is_in_time(rule, day, now)
            if not in_time and not by_agent:
                outcome.refused.append((day, _deadline_message(rule, day)))
                continue
            booking = existing.get(day)
            if booking is not None and booking.status == Booking.Status.BOOKED:
                outcome.unchanged.append(day)
                continue
            if session.capacity is not None and taken[day] >= session.capacity:
                WaitingEntry.objects.get_or_create(
                    enrolment=enrolment,
                    session=session,
                    date=day,
                    status=WaitingEntry.Status.WAITING,
                    defaults={"created_at": now},
                )
                outcome.waiting.append(day)
                continue
            booking = _open(booking, enrolment, session, day, now)
            if session.capacity is not None:
                taken[day] += 1
            _trail(booking, BookingEvent.Action.BOOKED, now, user, by_agent, in_time)
            outcome.done.append(day)
    return outcome


def cancel(
    enrolment: Enrolment,
    session: ServiceSession,
    days: Iterable[date],
    *,
    user,
    by_agent: bool = False,
    now: datetime | None = None,
) -> Outcome:
    """Cancel booked ``days``; a freed place goes to the first child waiting for it, whose
    family is told by e-mail. Past the deadline only an agent can cancel."""
    _check_enrolment(enrolment, session)
    now = now or timezone.now()
    rule = deadline_rule(session.schedule)
    outcome = Outcome()
    wanted = sorted(set(days))
    with transaction.atomic():
        if session.capacity is not None:
            ServiceSession.objects.select_for_update().filter(pk=session.pk).first()
        bookings = {
            booking.date: booking
            for booking in Booking.objects.select_for_update().filter(
                enrolment=enrolment,
                session=session,
                date__in=wanted,
                status=Booking.Status.BOOKED,
            )
        }
        for day in wanted:
            booking = bookings.get(day)
            if booking is None:
                outcome.unchanged.append(day)
                continue
            in_time = is_in_time(rule, day, now)
            if not in_time and not by_agent:
                outcome.refused.append((day, _deadline_message(rule, day)))
                continue
            booking.status = Booking.Status.CANCELLED
            booking.cancelled_at = now
            booking.save(update_fields=["status", "cancelled_at"])
            _trail(booking, BookingEvent.Action.CANCELLED, now, user, by_agent, in_time)
            outcome.done.append(day)
            if session.capacity is not None:
                _promote_first_waiting(session, day, now)
        WaitingEntry.objects.filter(
            enrolment=enrolment,
            session=session,
            date__in=wanted,
            status=WaitingEntry.Status.WAITING,
        ).update(status=WaitingEntry.Status.WITHDRAWN, settled_at=now)
    return outcome


def _open(
    booking: Booking | None, enrolment, session, day: date, now: datetime
) -> Booking:
    if booking is None:
        return Booking.objects.create(
            enrolment=enrolment,
            session=session,
            date=day,
            status=Booking.Status.BOOKED,
            booked_at=now,
        )
    booking.status = Booking.Status.BOOKED
    booking.booked_at = now
    booking.cancelled_at = None
    booking.save(update_fields=["status", "booked_at", "cancelled_at"])
    return booking


def _trail(booking, action, now, user, by_agent, in_time) -> None:
    BookingEvent.objects.create(
        booking=booking,
        action=action,
        at=now,
        user=user if getattr(user, "is_authenticated", False) else None,
        by_agent=by_agent,
        after_deadline=not in_time,
    )


def _promote_first_waiting(session: ServiceSession, day: date, now: datetime) -> None:
    entry = (
        WaitingEntry.objects.select_for_update()
        .filter(session=session, date=day, status=WaitingEntry.Status.WAITING)
        .select_related("enrolment__child", "enrolment__family")
        .order_by("created_at", "pk")
        .first()
    )
    if entry is None:
        return
    existing = Booking.objects.filter(
        enrolment=entry.enrolment, session=session, date=day
    ).first()
    booking = _open(existing, entry.enrolment, session, day, now)
    BookingEvent.objects.create(
        booking=booking,
        action=BookingEvent.Action.PROMOTED,
        at=now,
        after_deadline=False,
    )
    entry.status = WaitingEntry.Status.PROMOTED
    entry.settled_at = now
    entry.save(update_fields=["status", "settled_at"])
    transaction.on_commit(partial(_tell_promoted, entry.pk))


def _tell_promoted(entry_pk: int) -> None:
    entry = WaitingEntry.objects.select_related(
        "enrolment__child", "enrolment__family", "session__schedule__period__activity"
    ).get(pk=entry_pk)
    child = entry.enrolment.child
    send_family_mail(
        entry.enrolment.family,
        f"Une place s'est libérée pour {child.first_name} le {entry.date:%d/%m/%Y}",
        "bookings/email/place_freed.txt",
        {
            "entry": entry,
            "child": child,
            "activity": entry.session.schedule.period.activity,
        },
    )


# --- what a change costs --------------------------------------------------------------


def units_per_session(enrolment: Enrolment, session: ServiceSession) -> Decimal:
    """How many of the tariff's units one session counts: 1 for a meal or a day, the
    session's length for a price by the hour, nothing more for a price per period."""
    unit = enrolment.unit.strip().lower()
    if unit in FLAT_UNITS:
        return Decimal(0)
    if unit in TIME_UNITS:
        minutes = (session.ends.hour * 60 + session.ends.minute) - (
            session.starts.hour * 60 + session.starts.minute
        )
        return Decimal(minutes) / TIME_UNITS[unit]
    return Decimal(1)


def cost_of(enrolment: Enrolment, session: ServiceSession, count: int) -> Decimal:
    """What ``count`` sessions cost at the enrolment's frozen tariff (rounded once)."""
    amount = enrolment.amount * units_per_session(enrolment, session) * count
    return amount.quantize(Decimal("0.01"))
