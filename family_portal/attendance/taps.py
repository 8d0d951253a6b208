"""Recording taps: what a tablet sends (at once, or in a batch when the network is
back) and what an agent corrects.

Each tap names a child's enrolment, a session, a day, one field (``status``,
``arrival`` or ``departure``), its value, the time it was made on the device and an id
made there (and the account it was made under: a tap of another account than the
sender's is held back, see ``_made_by_another``). A tap whose id was already received is answered as before and changes
nothing; for each field of a mark the tap made last wins, whatever order taps arrive in
(a device's clock ahead of the server's counts as the time of receipt). In a closed
month a change needs an agent and a reason, and is kept as a correction.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from family_portal.bookings.models import AbsenceReport, Booking, ServiceSession
from family_portal.models import Enrolment

from .groups import manages_attendance
from .models import Mark, MonthClosing, Tap
from .services import BOOKED_STATES, serves, sites_for

STATUSES = {choice.value for choice in Mark.Status}
FIELDS = {choice.value for choice in Tap.Field}
MAX_BATCH = 1000


HELD_MESSAGE = (
    "Pointage fait sous un autre compte : il reste sur l'appareil et sera envoyé quand "
    "son auteur se reconnectera."
)


def _made_by_another(raw, user) -> bool:
    """The tablet names the account a tap was made under (``user``); a tap of another
    account than the one sending is held back, not refused (its author sends it)."""
    if not isinstance(raw, dict) or raw.get("user") in (None, ""):
        return False
    return str(raw.get("user")) != str(getattr(user, "pk", ""))


class TapError(Exception):
    """A tap that cannot be recorded; the message is French, for the animateur."""


@dataclass
class Result:
    tap_id: str
    outcome: str  # applied, superseded, duplicate, refused, invalid, held
    message: str = ""
    mark: Mark | None = None

    def as_json(self) -> dict:
        return {"id": self.tap_id, "outcome": self.outcome, "message": self.message}


@dataclass
class _Tap:
    tap_id: uuid.UUID
    enrolment_id: int
    session_id: int
    site_id: int
    date: datetime.date
    field: str
    value: str
    tapped_at: datetime.datetime


def _parse(raw: dict, now: datetime.datetime) -> _Tap:
    if not isinstance(raw, dict):
        raise TapError("Pointage illisible.")
    try:
        tap_id = uuid.UUID(str(raw.get("id")))
        enrolment_id = int(raw["enrolment"])
        session_id = int(raw["session"])
        site_id = int(raw["site"])
        day = datetime.date.fromisoformat(str(raw["date"]))
    except (KeyError, TypeError, ValueError) as error:
        raise TapError(
            "Pointage illisible : il manque l'enfant, la séance ou le jour."
        ) from error
    field = raw.get("field")
    if field not in FIELDS:
        raise TapError("Pointage illisible : champ inconnu.")
    value = raw.get("value") or ""
    if not isinstance(value, str):
        raise TapError("Pointage illisible : valeur inconnue.")
    if field == Tap.Field.STATUS and value not in STATUSES:
        raise TapError("Pointage illisible : présence inconnue.")
    if field != Tap.Field.STATUS and value:
        try:
            value = datetime.time.fromisoformat(value).strftime("%H:%M")
        except ValueError as error:
            raise TapError(f"Heure invalide : « {value} » (attendu HH:MM).") from error
    tapped_at = parse_datetime(str(raw.get("at") or ""))
    if tapped_at is None:
        raise TapError("Pointage illisible : heure du pointage manquante.")
    if timezone.is_naive(tapped_at):
        tapped_at = timezone.make_aware(tapped_at)
    return _Tap(
        tap_id,
        enrolment_id,
        session_id,
        site_id,
        day,
        field,
        value,
        min(tapped_at, now),
    )


def record_taps(user, payload, *, reason: str = "", now=None) -> list[Result]:
    """Record a batch of taps for ``user``; one result per tap, in the same order."""
    now = now or timezone.now()
    if not isinstance(payload, list) or len(payload) > MAX_BATCH:
        raise TapError(f"Envoyez une liste d'au plus {MAX_BATCH} pointages.")
    reason = (reason or "").strip()
    results: list[Result] = []
    parsed: list[tuple[int, _Tap]] = []
    for raw in payload:
        tap_id = str(raw.get("id", "")) if isinstance(raw, dict) else ""
        if _made_by_another(raw, user):
            # A shared tablet's tap made under another account: never recorded under
            # this one; the tablet keeps it until its author signs in again.
            results.append(Result(tap_id, "held", HELD_MESSAGE))
            continue
        try:
            tap = _parse(raw, now)
        except TapError as error:
            results.append(Result(tap_id, "invalid", str(error)))
            continue
        results.append(Result(str(tap.tap_id), ""))
        parsed.append((len(results) - 1, tap))
    if not parsed:
        return results
    with transaction.atomic():
        _record(user, parsed, results, reason, now)
    return results


def _record(user, parsed, results, reason, now) -> None:
    known = {
        t.tap_id: t
        for t in Tap.objects.filter(tap_id__in=[tap.tap_id for _, tap in parsed]).only(
            "tap_id", "message"
        )
    }
    if all(tap.tap_id in known for _, tap in parsed):  # a batch sent again
        for index, tap in parsed:
            results[index].outcome = "duplicate"
            results[index].message = known[tap.tap_id].message
        return
    sites = {site.pk: site for site in sites_for(user).prefetch_related("schedules")}
    site_schedules = {
        pk: {s.pk for s in site.schedules.all()} for pk, site in sites.items()
    }
    sessions = ServiceSession.objects.select_related("schedule__period").in_bulk(
        {tap.session_id for _, tap in parsed}
    )
    enrolments = (
        Enrolment.objects.select_related("child")
        .only("period_id", "child__first_name", "child__school")
        .in_bulk({tap.enrolment_id for _, tap in parsed})
    )
    days = {tap.date for _, tap in parsed}
    closings = {
        (c.schedule_id, c.month)
        for c in MonthClosing.objects.in_force().filter(
            schedule_id__in={s.schedule_id for s in sessions.values()},
            month__in={day.replace(day=1) for day in days},
        )
    }
    bookings = {
        (b.enrolment_id, b.session_id, b.date): b.status
        for b in Booking.objects.filter(
            session_id__in=sessions, date__in=days, enrolment_id__in=enrolments
        )
    }
    justified = {
        (r.child_id, r.first_day, r.last_day)
        for r in AbsenceReport.objects.filter(
            child_id__in={e.child_id for e in enrolments.values()},
            status=AbsenceReport.Status.JUSTIFIED,
            first_day__lte=max(days),
            last_day__gte=min(days),
        )
    }
    today = timezone.localdate(now)
    agent = manages_attendance(user)
    accepted: list[tuple[int, _Tap, bool]] = []
    for index, tap in parsed:
        if tap.tap_id in known:
            previous = known[tap.tap_id]
            results[index].outcome = "duplicate"
            results[index].message = previous.message
            continue
        try:
            correction = _check(
                tap,
                sites,
                site_schedules,
                sessions,
                enrolments,
                closings,
                bookings,
                justified,
                today,
                agent,
                reason,
            )
        except TapError as error:
            results[index].outcome = Tap.Outcome.REFUSED
            results[index].message = str(error)
            known[tap.tap_id] = Tap(
                tap_id=tap.tap_id,
                field=tap.field,
                value=tap.value,
                tapped_at=tap.tapped_at,
                received_at=now,
                user=_who(user),
                outcome=Tap.Outcome.REFUSED,
                message=str(error),
                reason=reason,
            )
            continue
        accepted.append((index, tap, correction))
        known[tap.tap_id] = None  # the same id twice in one batch counts once
    marks = _marks_for(accepted, sites, enrolments, now)
    rows = []
    changed = {}
    for index, tap, correction in sorted(accepted, key=lambda item: item[1].tapped_at):
        mark = marks[(tap.enrolment_id, tap.session_id, tap.date)]
        applied = _apply(mark, tap, correction, now)
        if applied:
            changed[mark.pk] = mark
        outcome = Tap.Outcome.APPLIED if applied else Tap.Outcome.SUPERSEDED
        results[index].outcome = outcome
        results[index].mark = mark
        rows.append(
            Tap(
                tap_id=tap.tap_id,
                mark=mark,
                field=tap.field,
                value=tap.value,
                tapped_at=tap.tapped_at,
                received_at=now,
                user=_who(user),
                outcome=outcome,
                reason=reason if correction else "",
                correction=correction,
            )
        )
    rows.extend(tap for tap in known.values() if tap is not None and tap.pk is None)
    _save(changed.values())
    # ignore_conflicts: the same tap sent at once by two requests is kept once; applying
    # it twice changed nothing (same value, same time).
    Tap.objects.bulk_create(rows, ignore_conflicts=True)


MARK_COLUMNS = (
    "status",
    "status_at",
    "arrival",
    "arrival_at",
    "departure",
    "departure_at",
    "corrected",
    "updated_at",
)


def _save(marks) -> None:
    """Write the changed marks in one statement run for each (``bulk_update`` builds a
    CASE per field and row: seconds for a batch of 300)."""
    marks = list(marks)
    if not marks:
        return
    fields = [Mark._meta.get_field(name) for name in MARK_COLUMNS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Names from the model's own metadata, quoted; every value a parameter.
    sql = f"UPDATE {quote(Mark._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                [
                    field.get_db_prep_save(getattr(mark, field.attname), connection)
                    for field in fields
                ]
                + [mark.pk]
                for mark in marks
            ],
        )


def _who(user):
    return user if getattr(user, "is_authenticated", False) else None


def _check(
    tap,
    sites,
    site_schedules,
    sessions,
    enrolments,
    closings,
    bookings,
    justified,
    today,
    agent,
    reason,
) -> bool:
    """Refuse a tap ``user`` may not make (TapError); True for a correction."""
    site = sites.get(tap.site_id)
    session = sessions.get(tap.session_id)
    enrolment = enrolments.get(tap.enrolment_id)
    if site is None:
        raise TapError("Vous n'êtes pas affecté à ce lieu d'accueil.")
    if session is None or session.schedule_id not in site_schedules[site.pk]:
        raise TapError("Cette séance n'a pas lieu dans ce lieu d'accueil.")
    period = session.schedule.period
    if (
        enrolment is None
        or enrolment.period_id != period.pk
        or not serves(site, enrolment.child)
    ):
        raise TapError("Cet enfant n'est pas sur la liste de ce lieu d'accueil.")
    if not period.start <= tap.date <= period.end:
        raise TapError("Ce jour est en dehors de la période du service.")
    if tap.date > today:
        raise TapError("On ne pointe pas un jour à venir.")
    booking = bookings.get((tap.enrolment_id, tap.session_id, tap.date))
    if booking == Booking.Status.CLOSED:
        raise TapError("Le service n'a pas eu lieu ce jour-là : rien à pointer.")
    if booking not in BOOKED_STATES and tap.field == Tap.Field.STATUS:
        if tap.value == Mark.Status.ABSENT_JUSTIFIED:
            raise TapError(
                "Un enfant venu sans réservation n'a pas d'absence à justifier."
            )
    if tap.value == Mark.Status.ABSENT_JUSTIFIED and not any(
        child == enrolment.child_id and first <= tap.date <= last
        for child, first, last in justified
    ):
        raise TapError(
            f"L'absence de {enrolment.child.first_name} ne peut être justifiée qu'une "
            "fois son certificat médical accepté par le service."
        )
    if (session.schedule_id, tap.date.replace(day=1)) in closings:
        if not agent:
            raise TapError(
                "Le mois est clôturé : demandez au service famille de corriger ce pointage."
            )
        if not reason:
            raise TapError("Le mois est clôturé : indiquez le motif de la correction.")
        return True
    return False


def _marks_for(accepted, sites, enrolments, now) -> dict:
    keys = {(tap.enrolment_id, tap.session_id, tap.date): tap for _, tap, _ in accepted}
    if not keys:
        return {}

    def existing():
        return {
            (m.enrolment_id, m.session_id, m.date): m
            for m in Mark.objects.select_for_update().filter(
                enrolment_id__in={k[0] for k in keys},
                session_id__in={k[1] for k in keys},
                date__in={k[2] for k in keys},
            )
            if (m.enrolment_id, m.session_id, m.date) in keys
        }

    marks = existing()
    missing = [key for key in keys if key not in marks]
    if missing:
        Mark.objects.bulk_create(
            [
                Mark(
                    enrolment_id=key[0],
                    session_id=key[1],
                    date=key[2],
                    site=sites[keys[key].site_id],
                    updated_at=now,
                )
                for key in missing
            ],
            ignore_conflicts=True,
        )
        marks = existing()
    return marks


def _apply(mark: Mark, tap: _Tap, correction: bool, now) -> bool:
    """Set the field if this tap is later than the one that set it last."""
    kept_at = getattr(mark, f"{tap.field}_at")
    if kept_at is not None and tap.tapped_at <= kept_at:
        return False
    if tap.field == Tap.Field.STATUS:
        value = tap.value
    else:
        value = datetime.time.fromisoformat(tap.value) if tap.value else None
    setattr(mark, tap.field, value)
    setattr(mark, f"{tap.field}_at", tap.tapped_at)
    mark.updated_at = now
    mark.corrected = mark.corrected or correction
    return True


def correct(user, mark: Mark, field: str, value: str, reason: str) -> Result:
    """An agent's change to a mark from the back-office (made now, so it wins)."""
    result = record_taps(
        user,
        [
            {
                "id": str(uuid.uuid4()),
                "enrolment": mark.enrolment_id,
                "session": mark.session_id,
                "site": mark.site_id,
                "date": mark.date.isoformat(),
                "field": field,
                "value": value,
                "at": timezone.now().isoformat(),
            }
        ],
        reason=reason,
    )[0]
    return result
