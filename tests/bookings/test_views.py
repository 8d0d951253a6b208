"""The parent's calendar without JavaScript: a month of checkboxes, the price shown before
saving, a weekly pattern, a second child, the deadline's refusal, another family's child."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from family_portal.bookings import services
from family_portal.bookings.models import Booking, BookingEvent, WaitingEntry
from tests.family_portal.factories import ChildFactory, FamilyFactory, GuardianFactory

# Far enough ahead for any deadline form of these tests.
AHEAD = datetime.timedelta(days=14)


def open_days(schedule, count=None, weekday=None):
    """Days the service runs, whose deadline is well ahead, in one month."""
    start = timezone.localdate() + AHEAD
    days = [
        day
        for day in services.service_days(schedule)
        if day >= start and (weekday is None or day.weekday() == weekday)
    ]
    assert days, "the period has no open day left"
    month = [day for day in days if day.month == days[0].month]
    return month[:count] if count else month


def late_day(schedule):
    """A day the service runs whose deadline has passed (the nearest to today)."""
    now = timezone.now()
    return [
        day
        for day in services.service_days(schedule)
        if not services.in_time(schedule, day, now)
    ][-1]


def key(session, day):
    return f"{session.pk}:{day.isoformat()}"


def calendar_url(enrolment):
    return reverse("family_portal:bookings:calendar", args=[enrolment.pk])


def month_post(days, lunch, *, ticked, also=(), step="apercu"):
    month = days[0].strftime("%Y-%m")
    return {
        "formulaire": "mois",
        "mois": month,
        "affiches": [key(lunch, day) for day in days],
        "jours": [key(lunch, day) for day in ticked],
        "aussi": [e.pk for e in also],
        "etape": step,
    }


def booked(enrolment):
    return sorted(
        Booking.objects.filter(
            enrolment=enrolment, status=Booking.Status.BOOKED
        ).values_list("date", flat=True)
    )


def text(response):
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def lea(enrolments):
    return enrolments["Léa"]


@pytest.fixture
def tom(enrolments):
    return enrolments["Tom"]


@pytest.fixture
def signed_in(client, parent):
    client.force_login(parent)
    return client


def test_the_dashboard_links_each_enrolment_to_its_calendar(signed_in, lea, tom):
    body = signed_in.get(reverse("family_portal:dashboard")).content.decode()
    assert calendar_url(lea) in body and calendar_url(tom) in body
    assert reverse("family_portal:bookings:absence") in body


def test_the_month_shows_each_day_with_its_state(signed_in, lea, lunch, schedule):
    days = open_days(schedule)
    services.book(lea, lunch, days[:1], user=None)
    response = signed_in.get(calendar_url(lea), {"mois": days[0].strftime("%Y-%m")})
    assert response.status_code == 200
    body = text(response)
    assert f'value="{key(lunch, days[0])}" id="jour-' in body
    checked = re.findall(r'name="jours" value="([^"]+)"[^>]*checked', body)
    assert checked == [key(lunch, days[0])]
    assert "Réservé" in body and "Non réservé" in body
    assert "jusqu'à 2 jours ouvrés avant, à 23 h 59" in body
    # No day outside the month, and the weekday it never runs is not listed.
    assert "mercredi" not in re.sub(
        r"Pas d'accueil[^<]*", "", body.split('<ul class="days">')[1].split("</ul>")[0]
    )


def test_a_closure_shows_its_reason(signed_in, lea, schedule, agent):
    day = open_days(schedule)[0]
    schedule.changes.create(date=day, kind="closure", reason="grève", created_by=agent)
    body = text(signed_in.get(calendar_url(lea), {"mois": day.strftime("%Y-%m")}))
    assert '<span class="day__state">Fermé : grève</span>' in body


def test_booking_days_shows_the_price_then_saves_and_sums_up(
    signed_in, lea, lunch, schedule
):
    days = open_days(schedule, 4)
    data = month_post(days, lunch, ticked=days[:3])
    preview = signed_in.post(calendar_url(lea), data)
    assert preview.status_code == 200
    body = text(preview)
    assert "Vérifiez avant d'enregistrer" in body
    expected = services.cost_of(lea, lunch, 3)
    assert f"{expected:.2f}".replace(".", ",") in body
    assert "Rien n'est encore enregistré" in body
    assert booked(lea) == [] and not BookingEvent.objects.exists()

    data["etape"] = "confirmer"
    response = signed_in.post(calendar_url(lea), data)
    assert response.status_code == 302
    assert booked(lea) == days[:3]
    summary = text(signed_in.get(response["Location"]))
    assert "Ce qui a été fait" in summary
    assert "Réservé (3)" in summary
    # Another enrolment's summary page has none to show: back to its calendar.


def test_unticking_a_booked_day_cancels_it(signed_in, parent, lea, lunch, schedule):
    days = open_days(schedule, 3)
    services.book(lea, lunch, days, user=None)
    data = month_post(days, lunch, ticked=days[1:], step="confirmer")
    assert signed_in.post(calendar_url(lea), data).status_code == 302
    assert booked(lea) == days[1:]
    cancelled = Booking.objects.get(enrolment=lea, date=days[0])
    assert cancelled.status == Booking.Status.CANCELLED
    event = cancelled.events.last()
    assert event.action == "cancelled" and event.user == parent
    assert not event.by_agent and not event.after_deadline


def test_going_back_from_the_preview_keeps_the_ticks(signed_in, lea, lunch, schedule):
    days = open_days(schedule, 3)
    data = month_post(days, lunch, ticked=days[1:2], step="modifier")
    response = signed_in.post(calendar_url(lea), data)
    assert response.status_code == 200
    checked = re.findall(r'name="jours" value="([^"]+)"[^>]*checked', text(response))
    assert checked == [key(lunch, days[1])]
    assert booked(lea) == []


def test_a_second_child_in_the_same_action(signed_in, lea, tom, lunch, schedule):
    days = open_days(schedule, 2)
    data = month_post(days, lunch, ticked=days, also=[tom])
    body = text(signed_in.post(calendar_url(lea), data))
    assert "Léa" in body and "Tom" in body
    data["etape"] = "confirmer"
    signed_in.post(calendar_url(lea), data)
    assert booked(lea) == days and booked(tom) == days


def test_a_weekly_pattern_until_the_end_of_the_period(
    signed_in, lea, tom, lunch, schedule
):
    start = open_days(schedule)[0]
    data = {
        "formulaire": "semaine",
        "r-action": "reserver",
        "r-jours_semaine": ["0", "3"],
        "r-seances": [lunch.pk],
        "r-du": start.isoformat(),
        "r-au": schedule.period.end.isoformat(),
        "r-enfants": [lea.pk, tom.pk],
        "etape": "apercu",
    }
    preview = text(signed_in.post(calendar_url(lea), data))
    expected = [
        day
        for day in services.service_days(schedule)
        if day >= start and day.weekday() in (0, 3)
    ]
    assert f"Jours réservés ({len(expected)})" in preview
    data["etape"] = "confirmer"
    assert signed_in.post(calendar_url(lea), data).status_code == 302
    assert booked(lea) == expected and booked(tom) == expected

    # The same form cancels every Thursday.
    data.update({"r-action": "annuler", "r-jours_semaine": ["3"]})
    signed_in.post(calendar_url(lea), data)
    assert booked(lea) == [day for day in expected if day.weekday() == 0]


def test_a_weekly_pattern_with_bad_dates_says_why(signed_in, lea, lunch, schedule):
    data = {
        "formulaire": "semaine",
        "r-action": "reserver",
        "r-seances": [lunch.pk],
        "r-du": schedule.period.end.isoformat(),
        "r-au": schedule.period.start.isoformat(),
        "r-enfants": [lea.pk],
        "etape": "apercu",
    }
    response = signed_in.post(calendar_url(lea), data)
    assert response.status_code == 400
    body = text(response)
    assert "Choisissez au moins un jour de la semaine." in body
    assert "La date de fin doit suivre la date de début." in body
    assert not Booking.objects.exists()


def test_past_the_deadline_the_page_says_why(signed_in, lea, lunch, schedule):
    day = late_day(schedule)
    body = text(signed_in.get(calendar_url(lea), {"mois": day.strftime("%Y-%m")}))
    assert f'name="jours" value="{key(lunch, day)}"' not in body
    assert "date limite passée" in body

    # A page shown before the deadline and posted after it: the services refuse.
    data = month_post([day], lunch, ticked=[day], step="confirmer")
    response = signed_in.post(calendar_url(lea), data)
    summary = text(signed_in.get(response["Location"]))
    deadline = services.deadline_of(schedule, day)
    assert (
        f"La date limite pour le {day:%d/%m/%Y} était le {deadline:%d/%m/%Y}" in summary
    )
    assert "Refusé le" in summary
    assert booked(lea) == []


def test_a_full_day_offers_and_gives_the_waiting_list(
    signed_in, lea, tom, lunch, schedule
):
    lunch.capacity = 1
    lunch.save()
    day = open_days(schedule)[0]
    services.book(tom, lunch, [day], user=None)
    body = text(signed_in.get(calendar_url(lea), {"mois": day.strftime("%Y-%m")}))
    assert "Complet : cochez pour la liste d'attente" in body
    data = month_post([day], lunch, ticked=[day])
    preview = text(signed_in.post(calendar_url(lea), data))
    assert "Complet : inscription sur la liste d'attente" in preview
    data["etape"] = "confirmer"
    response = signed_in.post(calendar_url(lea), data)
    assert "Sur liste d'attente" in text(signed_in.get(response["Location"]))
    assert WaitingEntry.objects.get(enrolment=lea).status == "waiting"
    body = text(signed_in.get(calendar_url(lea), {"mois": day.strftime("%Y-%m")}))
    assert "Sur liste d'attente" in body


def test_another_familys_child_is_not_found(client, lea, lunch, schedule):
    other = FamilyFactory(name="Famille Roux")
    GuardianFactory(family=other)
    ChildFactory(family=other, first_name="Jules")
    from tests.factories import UserFactory

    stranger = UserFactory(username="roux")
    other.users.add(stranger)
    client.force_login(stranger)
    days = open_days(schedule, 2)
    assert client.get(calendar_url(lea)).status_code == 404
    for step in ("apercu", "confirmer"):
        data = month_post(days, lunch, ticked=days, step=step)
        assert client.post(calendar_url(lea), data).status_code == 404
    assert booked(lea) == []


def test_a_sibling_of_another_family_cannot_be_added(
    signed_in, lea, lunch, schedule, commune
):
    from tests.family_portal.backoffice_support import enrol

    other = FamilyFactory(name="Famille Roux")
    GuardianFactory(family=other)
    ChildFactory(family=other, first_name="Jules")
    [jules] = enrol(other, commune, schedule.period)
    days = open_days(schedule, 1)
    data = month_post(days, lunch, ticked=days, also=[jules], step="confirmer")
    response = signed_in.post(calendar_url(lea), data)
    assert response.status_code == 400
    assert booked(jules) == [] and booked(lea) == []


def test_anonymous_visitors_are_sent_to_sign_in(client, lea):
    for url in (
        calendar_url(lea),
        reverse("family_portal:bookings:result", args=[lea.pk]),
        reverse("family_portal:bookings:absence"),
        reverse("family_portal:bookings:feed_settings"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/compte/login/")


def test_month_navigation_stays_within_the_period(signed_in, lea, schedule):
    period = schedule.period
    body = text(signed_in.get(calendar_url(lea), {"mois": "1999-01"}))
    first = period.start.replace(day=1)
    assert 'name="mois" value="' + first.strftime("%Y-%m") in body
    assert "Mois précédent" not in body and "Mois suivant" in body
    body = text(signed_in.get(calendar_url(lea), {"mois": "2999-12"}))
    assert "Mois suivant" not in body and "Mois précédent" in body


def test_holidays_are_one_line_not_one_per_day(lea, schedule):
    from family_portal.bookings.views import month_rows, months_of

    now = timezone.now()
    grouped = 0
    for month in months_of(schedule.period):
        rows = month_rows(lea, month, now)
        closed = [row for row in rows if not row.runs]
        for before, after in zip(closed, closed[1:], strict=False):
            assert before.reason != after.reason or (after.first - before.last).days > 7
        grouped += sum(row.first != row.last for row in closed)
        # Only the weekdays of the pattern: never a Wednesday or a weekend.
        assert all(row.first.weekday() in (0, 1, 3, 4) for row in rows)
    assert grouped >= 3  # Toussaint, Christmas, winter, spring holidays…


def test_a_service_with_several_sessions_has_a_box_per_session(
    signed_in, lea, lunch, schedule
):
    from family_portal.bookings.models import ServiceSession

    evening = ServiceSession.objects.create(
        schedule=schedule,
        name="Accueil du soir",
        starts=datetime.time(16, 30),
        ends=datetime.time(18, 30),
        sort_order=2,
    )
    days = open_days(schedule, 2)
    body = text(signed_in.get(calendar_url(lea), {"mois": days[0].strftime("%Y-%m")}))
    assert f'value="{key(evening, days[0])}"' in body
    assert f'value="{key(lunch, days[0])}"' in body
    assert "<legend" in body and "Accueil du soir" in body
    data = {
        "formulaire": "mois",
        "mois": days[0].strftime("%Y-%m"),
        "affiches": [key(s, d) for s in (lunch, evening) for d in days],
        "jours": [key(evening, days[0]), key(lunch, days[1])],
        "etape": "confirmer",
    }
    assert signed_in.post(calendar_url(lea), data).status_code == 302
    assert sorted(
        Booking.objects.filter(enrolment=lea).values_list("session__name", "date")
    ) == sorted([("Accueil du soir", days[0]), ("Déjeuner", days[1])])


def test_a_whole_period_for_two_children_reads_the_calendar_once(
    signed_in, lea, tom, lunch, schedule
):
    """The weekly form over the whole period: the calendar (settings, closures) is read
    once for both children, the child's existing days in one query each, and the
    bookings and their trail written in bulk, whatever the number of days."""
    data = {
        "formulaire": "semaine",
        "r-action": "reserver",
        "r-jours_semaine": ["0", "1", "3", "4"],
        "r-seances": [lunch.pk],
        "r-du": open_days(schedule)[0].isoformat(),
        "r-au": schedule.period.end.isoformat(),
        "r-enfants": [lea.pk, tom.pk],
        "etape": "confirmer",
    }
    with CaptureQueriesContext(connection) as queries:
        assert signed_in.post(calendar_url(lea), data).status_code == 302
    assert len(booked(lea)) > 40 and booked(lea) == booked(tom)
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "bookings_calendarchange"' in sql for sql in statements) == 1
    assert (
        sum(sql.startswith('INSERT INTO "bookings_booking"') for sql in statements) == 2
    )
    assert len(statements) <= 26
