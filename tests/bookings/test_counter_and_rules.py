"""The gaps left after the bookings app: a weekly pattern booked at the counter by an
agent, the bookings permissions of the groups production has (after every migrate), a
day the service did not run shown as closed to the parent, and the agent warned when the
service's booking deadline is not its billing rules' deadline."""

import datetime
import html
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db.models.signals import post_migrate
from django.urls import reverse

from family_portal.billing.models import Regie
from family_portal.bookings import services
from family_portal.bookings.models import Booking
from home.demo import AGENTS_GROUP, EDITORS_GROUP
from tests.billing.conftest import make_rules

from .test_views import calendar_url, key, late_day, open_days

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def lea(enrolments):
    return enrolments["Léa"]


@pytest.fixture
def tom(enrolments):
    return enrolments["Tom"]


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def counter_url(enrolment):
    return reverse("bookings_backoffice:counter_month", args=[enrolment.pk])


def booked(enrolment):
    return sorted(
        Booking.objects.filter(
            enrolment=enrolment, status=Booking.Status.BOOKED
        ).values_list("date", flat=True)
    )


# --- a weekly pattern at the counter ---------------------------------------------------


def test_an_agent_books_a_weekly_pattern_for_two_children_past_the_deadline_too(
    agent_client, agent, schedule, lea, tom, lunch
):
    start = late_day(schedule)  # its deadline passed
    weekdays = sorted({start.weekday(), 0})
    page = text(agent_client.get(counter_url(lea)))
    assert "Réserver ou annuler chaque semaine" in page
    data = {
        "formulaire": "semaine",
        "r-action": "reserver",
        "r-jours_semaine": [str(day) for day in weekdays],
        "r-seances": [lunch.pk],
        "r-du": start.isoformat(),
        "r-au": schedule.period.end.isoformat(),
        "r-enfants": [lea.pk, tom.pk],
        "etape": "apercu",
    }
    expected = [
        day
        for day in services.service_days(schedule)
        if day >= start and day.weekday() in weekdays
    ]
    assert expected[0] == start
    preview = agent_client.post(counter_url(lea), data)
    assert preview.status_code == 200
    assert "Vérifiez avant d'enregistrer" in text(preview)
    assert f"Jours réservés ({len(expected)})" in text(preview)
    assert not Booking.objects.exists()

    data["etape"] = "confirmer"
    assert agent_client.post(counter_url(lea), data).status_code == 302
    assert booked(lea) == expected and booked(tom) == expected
    late = Booking.objects.get(enrolment=tom, date=expected[0]).events.get()
    assert (late.user, late.by_agent, late.after_deadline) == (agent, True, True)
    in_time = Booking.objects.get(enrolment=tom, date=expected[-1]).events.get()
    assert (in_time.by_agent, in_time.after_deadline) == (True, False)

    # The same form cancels every Monday.
    data.update({"r-action": "annuler", "r-jours_semaine": ["0"]})
    assert agent_client.post(counter_url(lea), data).status_code == 302
    assert booked(lea) == [day for day in expected if day.weekday() != 0]


def test_a_weekly_pattern_at_the_counter_with_bad_dates_says_why(
    agent_client, schedule, lea, lunch
):
    response = agent_client.post(
        counter_url(lea),
        {
            "formulaire": "semaine",
            "r-action": "reserver",
            "r-seances": [lunch.pk],
            "r-du": schedule.period.end.isoformat(),
            "r-au": schedule.period.start.isoformat(),
            "r-enfants": [lea.pk],
            "etape": "confirmer",
        },
    )
    assert response.status_code == 400
    body = text(response)
    assert "Choisissez au moins un jour de la semaine." in body
    assert "La date de fin doit suivre la date de début." in body
    assert not Booking.objects.exists()


def test_the_counter_weekly_form_refuses_another_familys_child(
    agent_client, schedule, lea, lunch, commune
):
    from tests.family_portal.backoffice_support import enrol
    from tests.family_portal.factories import ChildFactory, FamilyFactory

    other = FamilyFactory()
    ChildFactory(family=other)
    (stranger,) = enrol(other, commune, schedule.period)
    response = agent_client.post(
        counter_url(lea),
        {
            "formulaire": "semaine",
            "r-action": "reserver",
            "r-jours_semaine": ["0"],
            "r-seances": [lunch.pk],
            "r-du": schedule.period.start.isoformat(),
            "r-au": schedule.period.end.isoformat(),
            "r-enfants": [stranger.pk],
            "etape": "confirmer",
        },
    )
    assert response.status_code == 400
    assert not Booking.objects.exists()


# --- the groups production has ---------------------------------------------------------


def test_after_migrate_the_existing_groups_get_the_bookings_permissions(db):
    agents = Group.objects.create(name=AGENTS_GROUP)
    config = apps.get_app_config("bookings")
    post_migrate.send(
        sender=config,
        app_config=config,
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )
    granted = set(agents.permissions.values_list("codename", flat=True))
    assert {"view_booking", "add_booking", "add_calendarchange"} <= granted
    assert "change_absencereport" in granted
    # A group nobody made is not created.
    assert not Group.objects.filter(name=EDITORS_GROUP).exists()


# --- a day the service did not run ------------------------------------------------------


def test_a_day_the_service_did_not_run_shows_closed_to_the_parent(
    client, parent, agent, schedule, lea, lunch
):
    day = open_days(schedule)[0]
    services.book(lea, lunch, [day], user=parent)
    services.close_bookings(lunch, day, user=agent)
    client.force_login(parent)
    body = text(client.get(calendar_url(lea), {"mois": f"{day:%Y-%m}"}))
    assert "Fermé : le service n'a pas été assuré ce jour-là" in body
    assert "day--closed" in body
    # Nothing to tick on that day: the service did not run it.
    assert f'name="jours" value="{key(lunch, day)}"' not in body


# --- the booking deadline against the billing rules' ---------------------------------


@pytest.fixture
def regie(db):
    return Regie.objects.create(name="Régie enfance", code="ENF")


def grid_url(schedule):
    return reverse("bookings_backoffice:schedule_calendar", args=[schedule.pk])


def test_an_agent_is_warned_when_the_billing_rules_deadline_differs(
    agent_client, schedule, lea, regie
):
    make_rules(
        schedule.period.activity,
        regie,
        deadline_days_before=1,
        deadline_at=datetime.time(10, 0),
        deadline_count="calendar_days",
    )
    for url in (grid_url(schedule), counter_url(lea)):
        body = text(agent_client.get(url))
        assert 'id="deadline-warning"' in body
        assert (
            "la date limite de réservation de ce service (jusqu'à 2 jours ouvrés "
            "avant, à 23 h 59, jours fériés de métropole) diffère de celle de ses "
            "règles de facturation (jusqu'à la veille, à 10 h 00)" in body
        )


def test_only_the_holidays_differing_is_told_too(schedule, regie):
    make_rules(schedule.period.activity, regie, deadline_holidays="alsace_moselle")
    warning = services.deadline_mismatch(schedule)
    assert "jours fériés de métropole" in warning
    assert "jours fériés d'Alsace-Moselle" in warning


def test_no_warning_when_the_deadlines_agree_or_there_are_no_billing_rules(
    agent_client, schedule, regie
):
    assert services.deadline_mismatch(schedule) is None
    make_rules(schedule.period.activity, regie)  # two working days at 23:59
    assert services.deadline_mismatch(schedule) is None
    assert 'id="deadline-warning"' not in text(agent_client.get(grid_url(schedule)))


# --- the headcount's absences, joined once ---------------------------------------------


def test_the_headcount_counts_each_absent_child_once_on_the_days_reported(
    schedule, lea, tom, lunch
):
    from family_portal.bookings.headcounts import headcounts

    first, second, third = open_days(schedule, 3)
    for enrolment in (lea, tom):
        services.book(enrolment, lunch, [first, second, third], user=None)
    # Two overlapping reports for Léa (a day, then the week), one for Tom on the last.
    services.report_absence(lea.child, first, first, user=None)
    services.report_absence(lea.child, first, second, user=None)
    services.report_absence(tom.child, third, third, user=None)
    result = headcounts(first, third)
    by_day = {day: totals for day, _, totals in result.days()}
    assert [
        (by_day[d]["booked"], by_day[d]["absent"]) for d in (first, second, third)
    ] == [
        (2, 1),
        (2, 1),
        (2, 1),
    ]
    assert headcounts(second, second).lines[0].absent == 1
