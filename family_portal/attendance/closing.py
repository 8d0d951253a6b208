"""Closing: a session the service could not run (one action for a whole list), and a
service's month an agent closes once it is checked (later changes are corrections)."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from family_portal.bookings.models import ServiceSchedule, ServiceSession
from family_portal.bookings.services import close_bookings

from .models import AttendanceSite, MonthClosing, SessionClosure
from .services import month_closing, served_enrolments


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
        return SessionClosure.objects.create(
            session=session,
            date=day,
            site=site,
            reason=reason,
            bookings_closed=len(closed),
            closed_by=user,
        )


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
