"""Closing: a session the service could not run (one action for a whole list) and
undoing it, a service's month an agent closes once it is checked (later changes are
corrections) and reopening it. Each keeps who, when and why."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from family_portal.bookings.models import (
    Booking,
    BookingEvent,
    ServiceSchedule,
    ServiceSession,
)
from family_portal.bookings.services import close_bookings

from .groups import can_reopen_month
from .models import AttendanceSite, MonthClosing, SessionClosure
from .services import month_closing, served_enrolments

REASON_LENGTH = SessionClosure._meta.get_field("undo_reason").max_length
REOPEN_REASON_LENGTH = MonthClosing._meta.get_field("reopen_reason").max_length


class ClosingError(Exception):
    """An action refused; the message is French, for people."""


def close_session(
    site: AttendanceSite,
    session: ServiceSession,
    day: datetime.date,
    *,
    user,
    reason: str,
) -> SessionClosure:
    """The service did not run ``session`` on ``day`` at ``site`` (strike, trip): every
    booking of the site's list becomes ``closed`` (billed as the rules say for a closed
    day), and the closure is kept with who, when and why."""
    reason = (reason or "").strip()
    if not reason:
        raise ClosingError(
            "Indiquez pourquoi le service n'a pas eu lieu (grève, sortie…)."
        )
    if month_closing(session.schedule_id, day) is not None:
        raise ClosingError(
            "Le mois est clôturé : demandez au service famille de corriger cette journée."
        )
    enrolments = served_enrolments(site, session.schedule)
    with transaction.atomic():
        closed = close_bookings(session, day, [e.pk for e in enrolments], user=user)
        closure = SessionClosure.objects.create(
            session=session,
            date=day,
            site=site,
            reason=reason,
            bookings_closed=len(closed),
            closed_by=user,
        )
        closure.bookings.set(closed)
        return closure


def closure_in_force(site, session, day) -> SessionClosure | None:
    """The list's "service closed" not undone, the latest one."""
    return (
        SessionClosure.objects.filter(
            site=site, session=session, date=day, undone_at__isnull=True
        )
        .order_by("-closed_at", "-pk")
        .first()
    )


def undo_closure(closure: SessionClosure, *, user, reason: str, now=None) -> int:
    """The service did run after all (a mistake, the strike called off): the bookings
    the closure made ``closed`` are booked again (their previous state; a booking that
    changed since is left alone), each with a line in its trail, and the closure keeps
    who undid it, when and why. Returns how many bookings are back."""
    reason = (reason or "").strip()
    now = now or timezone.now()
    if not reason:
        raise ClosingError("Indiquez pourquoi la séance a finalement eu lieu.")
    if len(reason) > REASON_LENGTH:
        raise ClosingError(f"Le motif tient en {REASON_LENGTH} caractères au plus.")
    if month_closing(closure.session.schedule_id, closure.date) is not None:
        raise ClosingError(
            "Le mois est clôturé : le service famille doit d'abord le rouvrir."
        )
    with transaction.atomic():
        closure = SessionClosure.objects.select_for_update().get(pk=closure.pk)
        if closure.undone_at is not None:
            raise ClosingError("Cette fermeture a déjà été annulée.")
        bookings = list(
            Booking.objects.select_for_update().filter(
                pk__in=closure.bookings.values("pk"), status=Booking.Status.CLOSED
            )
        )
        for booking in bookings:
            booking.status = Booking.Status.BOOKED
        Booking.objects.bulk_update(bookings, ["status"])
        BookingEvent.objects.bulk_create(
            BookingEvent(
                booking=booking,
                action=BookingEvent.Action.BOOKED,
                at=now,
                user=user if getattr(user, "is_authenticated", False) else None,
                by_agent=True,
            )
            for booking in bookings
        )
        closure.undone_at = now
        closure.undone_by = user
        closure.undo_reason = reason
        closure.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    return len(bookings)


def close_month(
    schedule: ServiceSchedule, month: datetime.date, *, user, now=None
) -> MonthClosing:
    """Close a service's month: from then on a change needs an agent and a reason, and is
    billed as a correction on the next invoice. A month not over yet cannot be closed."""
    now = now or timezone.now()
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    if following > timezone.localdate(now):
        raise ClosingError(
            f"Le mois de {first:%m/%Y} n'est pas terminé : il ne peut pas encore être clôturé."
        )
    try:
        with transaction.atomic():
            return MonthClosing.objects.create(
                schedule=schedule, month=first, closed_by=user, closed_at=now
            )
    except IntegrityError as error:
        raise ClosingError(f"Le mois de {first:%m/%Y} est déjà clôturé.") from error


def reopen_month(
    schedule: ServiceSchedule, month: datetime.date, *, user, reason: str, now=None
) -> MonthClosing:
    """Reopen a closed month (an agent holding ``attendance.reopen_month``, with a
    reason): the animateurs may tick it again without a reason; the closing row keeps
    who reopened it, when and why, and closing it again makes a new one. Marks already
    corrected stay so."""
    if not can_reopen_month(user):
        raise ClosingError("Vous n'avez pas le droit de rouvrir un mois clôturé.")
    reason = (reason or "").strip()
    first = month.replace(day=1)
    if not reason:
        raise ClosingError("Indiquez pourquoi le mois doit être rouvert.")
    if len(reason) > REOPEN_REASON_LENGTH:
        raise ClosingError(
            f"Le motif tient en {REOPEN_REASON_LENGTH} caractères au plus."
        )
    with transaction.atomic():
        closing = (
            MonthClosing.objects.in_force()
            .select_for_update()
            .filter(schedule=schedule, month=first)
            .first()
        )
        if closing is None:
            raise ClosingError(f"Le mois de {first:%m/%Y} n'est pas clôturé.")
        closing.reopened_at = now or timezone.now()
        closing.reopened_by = user
        closing.reopen_reason = reason
        closing.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
    return closing
