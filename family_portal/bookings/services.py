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

from family_portal.backoffice.mail import send_family_mail
from family_portal.models import Enrolment
from family_portal.uploads import name_for

from .calendars import (  # noqa: F401 - re-exported: the views, forms and headcounts
    OpenDays,
    calendar_settings,
    deadline_mismatch,
    deadline_of,
    deadline_rule,
    describe_deadline,
    in_time,
    month_grid,
    open_days_of,
    service_calendar,
    service_days,
)
from .models import (
    AbsenceReport,
    Booking,
    BookingEvent,
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
    withdrawn: list[date] = field(default_factory=list)  # taken off a waiting list
    refused: list[tuple[date, str]] = field(default_factory=list)


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


def book(
    enrolment: Enrolment,
    session: ServiceSession,
    days: Iterable[date],
    *,
    user,
    by_agent: bool = False,
    now: datetime | None = None,
    calendars: dict[int, OpenDays] | None = None,
) -> Outcome:
    """Book ``days`` of ``session`` for the enrolled child. A full day puts the child on
    that day's waiting list; past the deadline only an agent can book. ``calendars``:
    the schedules' ``OpenDays`` already read for this change (see ``open_days_of``)."""
    _check_enrolment(enrolment, session)
    now = now or timezone.now()
    calendar = open_days_of(session.schedule, calendars)
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
        opened: list[Booking] = []
        late: set[date] = set()
        for day in wanted:
            if day not in calendar.runs:
                outcome.refused.append(
                    (day, f"Le service ne fonctionne pas le {day:%d/%m/%Y}.")
                )
                continue
            if not calendar.in_time(day, now):
                if not by_agent:
                    outcome.refused.append((day, calendar.late_message(day)))
                    continue
                late.add(day)
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
            if session.capacity is not None:
                taken[day] += 1
            opened.append(
                _reopened(booking, now)
                if booking is not None
                else Booking(
                    enrolment_id=enrolment.pk,
                    session_id=session.pk,
                    date=day,
                    status=Booking.Status.BOOKED,
                    booked_at=now,
                )
            )
            outcome.done.append(day)
        # A whole period is a few hundred rows: written in three statements, each day
        # keeping its own trail.
        Booking.objects.bulk_update(
            [b for b in opened if b.pk], ["status", "booked_at", "cancelled_at"]
        )
        Booking.objects.bulk_create([b for b in opened if not b.pk])
        _trail_all(
            opened,
            BookingEvent.Action.BOOKED,
            now,
            user,
            by_agent,
            late=late,
        )
    return outcome


def cancel(
    enrolment: Enrolment,
    session: ServiceSession,
    days: Iterable[date],
    *,
    user,
    by_agent: bool = False,
    now: datetime | None = None,
    calendars: dict[int, OpenDays] | None = None,
) -> Outcome:
    """Cancel booked ``days``; a freed place goes to the first child waiting for it, whose
    family is told by e-mail. Past the deadline only an agent can cancel."""
    _check_enrolment(enrolment, session)
    now = now or timezone.now()
    calendar = open_days_of(session.schedule, calendars)
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
        waiting = WaitingEntry.objects.filter(
            enrolment=enrolment,
            session=session,
            date__in=wanted,
            status=WaitingEntry.Status.WAITING,
        )
        withdrawn = set(waiting.values_list("date", flat=True))
        closed: list[Booking] = []
        late: set[date] = set()
        for day in wanted:
            booking = bookings.get(day)
            if booking is None:
                (outcome.withdrawn if day in withdrawn else outcome.unchanged).append(
                    day
                )
                continue
            if not calendar.in_time(day, now):
                if not by_agent:
                    outcome.refused.append((day, calendar.late_message(day)))
                    continue
                late.add(day)
            booking.status = Booking.Status.CANCELLED
            booking.cancelled_at = now
            closed.append(booking)
            outcome.done.append(day)
        Booking.objects.bulk_update(closed, ["status", "cancelled_at"])
        _trail_all(
            closed,
            BookingEvent.Action.CANCELLED,
            now,
            user,
            by_agent,
            late=late,
        )
        if session.capacity is not None:
            for booking in closed:
                _promote_first_waiting(session, booking.date, now)
        waiting.update(status=WaitingEntry.Status.WITHDRAWN, settled_at=now)
    return outcome


def simulate(
    action,
    enrolment,
    session,
    days,
    *,
    user,
    now=None,
    by_agent: bool = False,
    calendars: dict[int, OpenDays] | None = None,
) -> Outcome:
    """What ``book`` or ``cancel`` would do now, without doing it: the same code runs in
    a savepoint that is rolled back, so the preview a parent is shown follows the very
    rules of the change (nothing is kept: no trail, no e-mail)."""
    with transaction.atomic():
        outcome = action(
            enrolment,
            session,
            days,
            user=user,
            now=now,
            by_agent=by_agent,
            calendars=calendars,
        )
        transaction.set_rollback(True)
    return outcome


def _reopened(booking: Booking, now: datetime) -> Booking:
    booking.status = Booking.Status.BOOKED
    booking.booked_at = now
    booking.cancelled_at = None
    return booking


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
    _reopened(booking, now).save(update_fields=["status", "booked_at", "cancelled_at"])
    return booking


def _trail_all(bookings, action, now, user, by_agent, *, late: set[date]) -> None:
    """One ``BookingEvent`` per booking: who, when, by an agent or not, and whether
    it was past the deadline."""
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    BookingEvent.objects.bulk_create(
        BookingEvent(
            booking_id=booking.pk,
            action=action,
            at=now,
            user_id=user_id,
            by_agent=by_agent,
            after_deadline=booking.date in late,
        )
        for booking in bookings
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


# --- absences ------------------------------------------------------------------------


def report_absence(
    child, first_day: date, last_day: date, *, user, certificate=None, content_type=""
) -> AbsenceReport:
    """A parent's "my child is absent": the booked days stay booked (billing reads the
    absence); a medical certificate, already checked by ``validate_qf_upload``, waits for
    an agent, who makes the absence justified."""
    report = AbsenceReport(
        child=child,
        first_day=first_day,
        last_day=last_day,
        reported_by=user if getattr(user, "is_authenticated", False) else None,
        status=(
            AbsenceReport.Status.PENDING
            if certificate
            else AbsenceReport.Status.REPORTED
        ),
    )
    if certificate:
        report.certificate.save(
            name_for(certificate.name, content_type), certificate, save=False
        )
    report.save()
    return report


def _check_pending(report: AbsenceReport) -> None:
    if report.status != AbsenceReport.Status.PENDING:
        raise BookingError(
            "Ce certificat n'attend pas de vérification "
            f"(état : {report.get_status_display().lower()})."
        )


def accept_certificate(report: AbsenceReport, agent) -> AbsenceReport:
    """The agent accepts the medical certificate: the absence is justified for billing."""
    _check_pending(report)
    report.status = AbsenceReport.Status.JUSTIFIED
    report.checked_by = agent
    report.checked_at = timezone.now()
    report.rejection_reason = ""
    report.save(
        update_fields=["status", "checked_by", "checked_at", "rejection_reason"]
    )
    return report


def reject_certificate(report: AbsenceReport, agent, reason: str) -> AbsenceReport:
    """The agent refuses the certificate, saying why; the family is told by e-mail and
    the absence stays an ordinary (billed) one."""
    _check_pending(report)
    reason = (reason or "").strip()
    if not reason:
        raise BookingError("Indiquez le motif du refus : il est envoyé à la famille.")
    report.status = AbsenceReport.Status.REJECTED
    report.checked_by = agent
    report.checked_at = timezone.now()
    report.rejection_reason = reason
    report.save(
        update_fields=["status", "checked_by", "checked_at", "rejection_reason"]
    )
    child = report.child
    transaction.on_commit(
        partial(
            send_family_mail,
            child.family,
            f"Certificat médical de {child.first_name} refusé",
            "bookings/email/certificate_rejected.txt",
            {"report": report, "child": child},
        )
    )
    return report


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


# --- a session the service could not run ----------------------------------------------


def close_bookings(
    session: ServiceSession,
    day: date,
    enrolment_ids: Iterable[int] | None = None,
    *,
    user,
    now: datetime | None = None,
) -> list[Booking]:
    """The service did not run ``session`` on ``day`` (strike, trip, closure on the day):
    every booked child's booking (or only those of ``enrolment_ids``, one site's list)
    becomes ``closed``, with its trail. Billing reads the state; attendance calls this."""
    now = now or timezone.now()
    with transaction.atomic():
        bookings = Booking.objects.select_for_update().filter(
            session=session, date=day, status=Booking.Status.BOOKED
        )
        if enrolment_ids is not None:
            bookings = bookings.filter(enrolment_id__in=list(enrolment_ids))
        closed = list(bookings)
        for booking in closed:
            booking.status = Booking.Status.CLOSED
        Booking.objects.bulk_update(closed, ["status"])
        BookingEvent.objects.bulk_create(
            BookingEvent(
                booking=booking,
                action=BookingEvent.Action.CLOSED,
                at=now,
                user=user if getattr(user, "is_authenticated", False) else None,
                by_agent=True,
            )
            for booking in closed
        )
    return closed
