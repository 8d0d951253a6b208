"""Taking back a closing: undoing "service closed" for a session (its bookings booked
again, audited) and reopening a closed month (a permission of its own, a reason,
audited; closing it again makes a new record)."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from family_portal.attendance import closing
from family_portal.attendance.models import MonthClosing, SessionClosure
from family_portal.attendance.taps import record_taps
from family_portal.bookings.models import Booking, BookingEvent
from tests.attendance.conftest import tap

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_list(client, animateur, site, lunch, day, booked, enrolments):
    """Léa's and Tom's lunch noted as not run; Tom's booking was cancelled before."""
    tom = booked["Tom"]
    tom.status = Booking.Status.CANCELLED
    tom.save()
    client.force_login(animateur)
    client.post(
        reverse("attendance:close", args=[site.pk, lunch.pk, day]),
        {"motif": "Grève"},
    )
    return SessionClosure.objects.get()


def test_undoing_service_closed_restores_the_bookings_previous_states(
    client, animateur, site, lunch, day, booked, closed_list
):
    assert list(closed_list.bookings.all()) == [booked["Léa"]]
    list_url = reverse("attendance:list", args=[site.pk, lunch.pk, day])
    page = client.get(list_url).text
    undo_url = reverse("attendance:undo_close", args=[site.pk, lunch.pk, day])
    assert undo_url in page
    refused = client.post(undo_url, {"motif": " "})
    assert refused.status_code == 400 and "Indiquez pourquoi" in refused.text
    assert Booking.objects.get(pk=booked["Léa"].pk).status == "closed"
    done = client.post(undo_url, {"motif": "Grève annulée"}, follow=True)
    assert "1 réservation(s) remise(s)" in done.text
    statuses = dict(Booking.objects.values_list("pk", "status"))
    # Léa's booking is booked again, Tom's stays cancelled as it was before.
    assert statuses == {booked["Léa"].pk: "booked", booked["Tom"].pk: "cancelled"}
    closed_list.refresh_from_db()
    assert (closed_list.undone_by, closed_list.undo_reason) == (
        animateur,
        "Grève annulée",
    )
    assert closed_list.undone_at is not None
    events = list(
        BookingEvent.objects.filter(booking=booked["Léa"]).values_list(
            "action", "user", "by_agent"
        )
    )
    assert events[-2:] == [
        ("closed", animateur.pk, True),
        ("booked", animateur.pk, True),
    ]
    # Undone once: the list can be ticked again, and there is nothing left to undo.
    assert "Service fermé ce jour-là" not in done.text
    with pytest.raises(closing.ClosingError, match="déjà été annulée"):
        closing.undo_closure(closed_list, user=animateur, reason="encore")
    again = client.get(undo_url, follow=True)
    assert "pas notée comme non assurée" in again.text


def test_undoing_is_refused_to_others_and_in_a_closed_month(
    client, parent, agent_client, site, lunch, day, closed_list
):
    undo_url = reverse("attendance:undo_close", args=[site.pk, lunch.pk, day])
    other = Client()
    other.force_login(parent)
    assert other.post(undo_url, {"motif": "x"}).status_code == 403
    assert Booking.objects.filter(status="closed").count() == 1
    MonthClosing.objects.create(schedule=lunch.schedule, month=day.replace(day=1))
    refused = agent_client.post(undo_url, {"motif": "Grève annulée"})
    assert refused.status_code == 400 and "rouvrir" in refused.text
    assert Booking.objects.filter(status="closed").count() == 1


def test_reopening_a_month_needs_the_permission_and_a_reason(
    client, agent, agent_client, animateur, enrolments, site, lunch, day, now, booked
):
    month = day.strftime("%Y-%m")
    closed = MonthClosing.objects.create(
        schedule=lunch.schedule, month=day.replace(day=1), closed_by=agent
    )
    lea = enrolments["Léa"]
    refused = record_taps(animateur, [tap(site, lea, lunch, day, at=now)], now=now)
    assert refused[0].outcome == "refused"
    month_url = reverse("attendance_admin:month", args=[lunch.schedule_id, month])
    reopen_url = reverse("attendance_admin:reopen", args=[lunch.schedule_id, month])
    assert reopen_url in agent_client.get(month_url).text
    # An agent who manages attendance but may not reopen a month.
    agent.groups.first().permissions.remove(
        Permission.objects.get(codename="reopen_month")
    )
    agent = type(agent).objects.get(pk=agent.pk)  # permissions are cached
    agent_client.force_login(agent)
    assert reopen_url not in agent_client.get(month_url).text
    assert agent_client.post(reopen_url, {"reason": "x"}).status_code in (302, 403)
    closed.refresh_from_db()
    assert closed.reopened_at is None
    with pytest.raises(closing.ClosingError, match="pas le droit"):
        closing.reopen_month(lunch.schedule, day, user=agent, reason="x")
    agent.user_permissions.add(Permission.objects.get(codename="reopen_month"))
    agent = type(agent).objects.get(pk=agent.pk)
    agent_client.force_login(agent)
    missing = agent_client.post(reopen_url, {"reason": ""})
    assert missing.status_code == 400 and "Indiquez pourquoi" in missing.text
    assert (
        agent_client.post(reopen_url, {"reason": "Pointages oubliés"}).status_code
        == 302
    )
    closed.refresh_from_db()
    assert (closed.reopened_by, closed.reopen_reason) == (agent, "Pointages oubliés")
    # Reopened: the animateur ticks again, no reason needed, not a correction.
    applied = record_taps(
        animateur, [tap(site, lea, lunch, day, at=now)], now=now + datetime.timedelta(1)
    )
    assert applied[0].outcome == "applied"
    assert not lea.attendance_marks.get().corrected
    page = agent_client.get(month_url).text
    assert "rouvert le" in page and "Pointages oubliés" in page
    assert "Mois clôturé le" not in page
    # Closed again: a new record, the reopened one kept as the audit.
    again = MonthClosing.objects.create(schedule=lunch.schedule, month=closed.month)
    assert MonthClosing.objects.count() == 2 and again.reopened_at is None
    with pytest.raises(closing.ClosingError, match="n'est pas clôturé"):
        again.delete()
        closing.reopen_month(lunch.schedule, day, user=agent, reason="x")


def test_an_animateur_cannot_reopen_a_month(client, animateur, lunch, day):
    MonthClosing.objects.create(schedule=lunch.schedule, month=day.replace(day=1))
    client.force_login(animateur)
    url = reverse(
        "attendance_admin:reopen", args=[lunch.schedule_id, day.strftime("%Y-%m")]
    )
    assert client.post(url, {"reason": "x"}).status_code in (302, 403)
    assert MonthClosing.objects.in_force().count() == 1
