"""The agents' month of a service: unchecked, unbooked presences, late pick-ups, the
month's closing, corrections with a reason, the export per site."""

import datetime

import pytest
from django.urls import reverse

from family_portal.attendance.models import AttendanceSite, Mark, MonthClosing, Tap
from family_portal.attendance.taps import record_taps
from family_portal.bookings.models import Booking
from tests.attendance.conftest import tap

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_of(site, animateur, enrolments, lunch, day, now):
    """Léa booked and ticked present, leaving late; Tom came without booking; Léa's
    next day booked and never ticked."""
    lea, tom = enrolments["Léa"], enrolments["Tom"]
    for booked_day in (day, day + datetime.timedelta(days=1)):
        Booking.objects.create(
            enrolment=lea,
            session=lunch,
            date=booked_day,
            status="booked",
            booked_at=now,
        )
    record_taps(
        animateur,
        [
            tap(site, lea, lunch, day, at=now),
            tap(site, lea, lunch, day, field="departure", value="13:55", at=now),
            tap(site, tom, lunch, day, at=now),
        ],
        now=now,
    )
    return day.strftime("%Y-%m")


def test_only_agents_reach_the_month(client, animateur, parent, lunch, month_of):
    url = reverse("attendance_admin:month", args=[lunch.schedule_id, month_of])
    for user in (animateur, parent):
        client.force_login(user)
        assert client.get(url).status_code in (302, 403)


def test_the_month_shows_unchecked_unbooked_and_late(agent_client, lunch, month_of):
    url = reverse("attendance_admin:month", args=[lunch.schedule_id, month_of])
    response = agent_client.get(url)
    assert response.status_code == 200
    assert len(response.context["unchecked"]) == 1
    report = response.context["report"]
    assert [line.enrolment.child.first_name for line in report.unbooked] == ["Tom"]
    assert [line.departure for line in report.late] == [datetime.time(13, 55)]
    assert "Départs tardifs (1)" in response.text
    assert "Présences sans réservation (1)" in response.text


def test_closing_the_month_then_correcting_with_a_reason(
    agent_client, agent, enrolments, lunch, day, month_of
):
    # The fixture's month is over once the test data is in the past: freeze nothing,
    # close it directly when it is still running.
    close = reverse("attendance_admin:close", args=[lunch.schedule_id, month_of])
    response = agent_client.post(close, follow=True)
    if day.replace(day=1) >= datetime.date.today().replace(day=1):
        assert "n'est pas terminé" in response.text
        MonthClosing.objects.create(schedule=lunch.schedule, month=day.replace(day=1))
    else:
        assert "clôturé" in response.text
    month_page = agent_client.get(
        reverse("attendance_admin:month", args=[lunch.schedule_id, month_of])
    )
    assert "Mois clôturé le" in month_page.text
    lea = enrolments["Léa"]
    url = reverse("attendance_admin:correct", args=[lea.pk, lunch.pk, day])
    refused = agent_client.post(
        url, {"field": "status", "value": "absent", "reason": ""}
    )
    assert "motif" in refused.text
    assert Mark.objects.get(enrolment=lea, date=day).status == "present"
    agent_client.post(
        url, {"field": "status", "value": "absent", "reason": "Erreur de pointage"}
    )
    mark = Mark.objects.get(enrolment=lea, date=day)
    assert (mark.status, mark.corrected) == ("absent", True)
    kept = Tap.objects.filter(mark=mark, correction=True).get()
    assert (kept.user, kept.reason) == (agent, "Erreur de pointage")
    page = agent_client.get(url)
    assert "Erreur de pointage" in page.text  # the mark's history


def test_the_export_per_site(agent_client, site, lunch, month_of):
    other = AttendanceSite.objects.create(name="Centre des Pins", schools="Autre école")
    other.schedules.add(lunch.schedule)
    url = reverse("attendance_admin:export", args=[lunch.schedule_id, month_of])
    response = agent_client.get(url, {"lieu": site.pk})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Date;Séance;Lieu;Enfant;Réservé;Présence")
    assert len(lines) == 4  # Léa twice, Tom once
    assert all(";École des Tilleuls;" in line for line in lines[1:])
    assert "Départ tardif" in lines[0] and ";13:55;oui;" in "".join(lines)
    empty = agent_client.get(url, {"lieu": other.pk}).content.decode("utf-8-sig")
    assert len(empty.splitlines()) == 1
    assert agent_client.get(url, {"lieu": 999}).status_code == 404
