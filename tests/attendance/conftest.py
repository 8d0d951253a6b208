"""Fixtures of the attendance tests: the bookings tests' canteen (lunch, Léa and Tom
enrolled), a site hosting it, an animateur assigned there, and a day of the period with
its "now" (taps are made on the day, whatever day the suite runs)."""

import datetime
import uuid

import pytest
from django.utils import timezone

from family_portal.attendance.groups import ANIMATEURS_GROUP, ensure_groups
from family_portal.attendance.models import AttendanceSite
from family_portal.bookings.models import Booking
from tests.bookings.conftest import (  # noqa: F401 - fixtures, by name
    agent_fixture,
    commune_fixture,
    enrolments,
    groups_fixture,
    lunch,
    parent,
    schedule,
)
from tests.factories import UserFactory
from tests.family_portal.backoffice_support import agent_client_fixture  # noqa: F401
from tests.family_portal.conftest import canteen, giraud_family  # noqa: F401


@pytest.fixture
def day(schedule):  # noqa: F811
    """The first Monday of the period."""
    start = schedule.period.start
    return start + datetime.timedelta(days=(7 - start.weekday()) % 7)


@pytest.fixture
def now(day):
    """Noon on that day, Paris time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


@pytest.fixture
def site(schedule, groups):  # noqa: F811
    site = AttendanceSite.objects.create(name="École des Tilleuls")
    site.schedules.add(schedule)
    ensure_groups()
    return site


@pytest.fixture
def animateur(site):
    from django.contrib.auth.models import Group

    user = UserFactory(username="animateur", first_name="Inès", last_name="Roux")
    user.groups.add(Group.objects.get(name=ANIMATEURS_GROUP))
    site.animateurs.add(user)
    return user


@pytest.fixture
def booked(enrolments, lunch, day, now):  # noqa: F811
    """Léa and Tom booked for lunch on the day."""
    return {
        name: Booking.objects.create(
            enrolment=enrolment,
            session=lunch,
            date=day,
            status=Booking.Status.BOOKED,
            booked_at=now - datetime.timedelta(days=7),
        )
        for name, enrolment in enrolments.items()
    }


def tap(
    site, enrolment, session, day, field="status", value="present", at=None, **extra
):
    return {
        "id": str(uuid.uuid4()),
        "site": site.pk,
        "enrolment": enrolment.pk,
        "session": session.pk,
        "date": day.isoformat(),
        "field": field,
        "value": value,
        "at": (at or timezone.now()).isoformat(),
        **extra,
    }
