"""Fixtures of the bookings tests: the canteen of the family-portal tests with a service
schedule (Monday, Tuesday, Thursday, Friday, lunch), the Giraud family enrolled in it, and
a Wednesday leisure centre session with places."""

import datetime

import pytest

from family_portal.bookings.models import ServiceSchedule, ServiceSession
from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures, by name
    agent_fixture,
    commune_fixture,
    editor_fixture,
    enrol,
    groups_fixture,
    period_of,
)
from tests.family_portal.conftest import canteen, giraud_family  # noqa: F401


@pytest.fixture
def schedule(canteen):  # noqa: F811 - the imported fixture, by name
    schedule = ServiceSchedule.objects.create(
        period=period_of(canteen),
        weekdays=[0, 1, 3, 4],
        deadline={
            "days_before": 2,
            "at": "23:59",
            "count": "working_days",
            "holidays": "metropole",
        },
    )
    ServiceSession.objects.create(
        schedule=schedule,
        name="Déjeuner",
        starts=datetime.time(11, 45),
        ends=datetime.time(13, 30),
    )
    return schedule


@pytest.fixture
def lunch(schedule):
    return schedule.sessions.get()


@pytest.fixture
def enrolments(giraud_family, commune, schedule):  # noqa: F811
    """Léa's and Tom's confirmed canteen enrolments."""
    enrolled = enrol(giraud_family, commune, schedule.period)
    return {e.child.first_name: e for e in enrolled}


@pytest.fixture
def parent(giraud_family):  # noqa: F811
    return giraud_family.users.get()
