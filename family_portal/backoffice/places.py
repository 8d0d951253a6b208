"""Places and waiting lists: cancelling an enrolment frees its place for the first child
waiting, who is enrolled and whose parents are told by e-mail."""

from __future__ import annotations

from django.db import transaction
from wagtail.models import Revision

from activities.models import ActivityPeriod
from home import caching

from ..enrolment import QfChoice
from ..models import AgentAction, Enrolment
from ..signals import tariff_changed
from .audit import record_action
from .mail import send_family_mail


class PlaceRefused(Exception):
    """The change cannot be made; the message is French, for the agent."""


def waiting_list(period):
    """The period's waiting list, first in line first."""
    return (
        period.enrolments.filter(status=Enrolment.Status.WAITING)
        .select_related("family", "child")
        .order_by("waiting_since", "pk")
    )


def _lock_period(period) -> ActivityPeriod:
    # The same lock as family_portal.enrolment.confirm: places are counted once.
    return ActivityPeriod.objects.select_for_update().get(pk=period.pk)


def _taken(period) -> int:
    return Enrolment.objects.holding_place().filter(period=period).count()


def _set_status(enrolment, status, *, user, kind, reason, mail_subject, mail, context):
    """Change the enrolment's status (inside the caller's transaction): its certificate
    follows in the background, the change is audited and the family told after commit."""
    before = enrolment.status
    enrolment.status = status
    enrolment.save(update_fields=["status", "updated_at"])
    tariff_changed.send(sender=Enrolment, enrolments=[enrolment], user=user)
    record_action(
        kind,
        user,
        family=enrolment.family,
        enrolment=enrolment,
        reason=reason,
        before={"status": before},
        after={"status": status},
    )
    transaction.on_commit(
        lambda: send_family_mail(
            enrolment.family,
            f"{mail_subject} : {enrolment.period.activity.title}",
            f"backoffice/email/{mail}",
            {"enrolment": enrolment, **context},
        )
    )
    return before


def _promote(enrolment: Enrolment, user, reason: str) -> Enrolment:
    # A price still waiting for its QF stays provisional once the child has a place.
    _set_status(
        enrolment,
        Enrolment.Status.QF_PENDING
        if QfChoice(enrolment.qf_source).provisional
        else Enrolment.Status.CONFIRMED,
        user=user,
        kind=AgentAction.Kind.ENROLMENT_PROMOTED,
        reason=reason,
        mail_subject="Une place s'est libérée",
        mail="waiting_promoted.txt",
        context={},
    )
    return enrolment


def _fill(period, user, reason: str) -> list[Enrolment]:
    free = period.capacity - _taken(period)
    promoted = []
    for waiting in waiting_list(period)[: max(free, 0)]:
        promoted.append(_promote(waiting, user, reason))
    return promoted


def fill_free_places(period, *, user) -> list[Enrolment]:
    """Enrol the first children waiting, as many as there are free places."""
    with transaction.atomic():
        period = _lock_period(period)
        return _fill(period, user, "Place libre : premier de la liste d'attente.")


def promote(enrolment: Enrolment, *, user, reason: str = "") -> Enrolment:
    """Enrol this waiting child now. Out of turn, a reason is required."""
    with transaction.atomic():
        period = _lock_period(enrolment.period)
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.status != Enrolment.Status.WAITING:
            raise PlaceRefused("Cet enfant n'est pas sur la liste d'attente.")
        if _taken(period) >= period.capacity:
            raise PlaceRefused(
                "La période est complète : annulez une inscription ou augmentez le "
                "nombre de places sur la page de l'activité."
            )
        first = waiting_list(period).first()
        reason = (reason or "").strip()
        if first.pk != enrolment.pk and not reason:
            raise PlaceRefused(
                "D'autres enfants attendent avant celui-ci : indiquez pourquoi il "
                "passe en premier."
            )
        return _promote(enrolment, user, reason or "Premier de la liste d'attente.")


def cancel(enrolment: Enrolment, *, reason: str, user) -> list[Enrolment]:
    """Cancel the enrolment; a freed place goes to the first child waiting.

    Returns the enrolments promoted from the waiting list.
    """
    reason = (reason or "").strip()
    if not reason:
        raise PlaceRefused("Indiquez le motif de l'annulation.")
    with transaction.atomic():
        period = _lock_period(enrolment.period)
        enrolment = (
            Enrolment.objects.select_for_update()
            .select_related("family", "child", "period__activity")
            .get(pk=enrolment.pk)
        )
        if enrolment.status == Enrolment.Status.CANCELLED:
            raise PlaceRefused("Cette inscription est déjà annulée.")
        # Its certificate, if any, is revoked: it no longer verifies.
        before = _set_status(
            enrolment,
            Enrolment.Status.CANCELLED,
            user=user,
            kind=AgentAction.Kind.ENROLMENT_CANCELLED,
            reason=reason,
            mail_subject="Inscription annulée",
            mail="enrolment_cancelled.txt",
            context={"reason": reason},
        )
        if before == Enrolment.Status.WAITING:
            return []
        return _fill(period, user, "Place libérée par une annulation.")


def _keep_in_page_revisions(period, capacity: int) -> None:
    """The period is a child of its activity page: its live and latest revisions get
    the new number too, so that the next publication by an editor keeps it."""
    page = period.activity
    ids = {page.live_revision_id, page.latest_revision_id} - {None}
    for revision in Revision.objects.filter(pk__in=ids):
        periods = revision.content.get("periods") or []
        for item in periods:
            if item.get("pk") == period.pk:
                item["capacity"] = capacity
        revision.save(update_fields=["content"])


def change_capacity(period, capacity: int, *, reason: str, user) -> int:
    """Set the period's number of places (never below the places taken); returns the
    number before. Audited; free places are then given from the waiting list by the
    period's screen, in its order."""
    reason = (reason or "").strip()
    if not reason:
        raise PlaceRefused("Indiquez le motif du changement.")
    with transaction.atomic():
        period = _lock_period(period)
        taken = _taken(period)
        if capacity < taken:
            raise PlaceRefused(
                f"{taken} enfants ont déjà une place : la période ne peut pas en "
                f"compter moins. Annulez d'abord des inscriptions."
            )
        before = period.capacity
        if capacity == before:
            raise PlaceRefused(f"La période compte déjà {capacity} places.")
        ActivityPeriod.objects.filter(pk=period.pk).update(capacity=capacity)
        # An update sends no signal: the public pages showing the places are retired here.
        transaction.on_commit(caching.invalidate)
        period.capacity = capacity
        _keep_in_page_revisions(period, capacity)
        record_action(
            AgentAction.Kind.CAPACITY_CHANGED,
            user,
            reason=reason,
            before={
                "period": f"{period.activity.title} — {period.label}",
                "capacity": before,
            },
            after={"capacity": capacity},
        )
    return before
