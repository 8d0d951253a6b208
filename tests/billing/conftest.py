"""Fixtures of the billing tests: the bookings tests' canteen (Monday, Tuesday, Thursday,
Friday lunch) in the "Régie enfance", with the FORMAT.md example's rules, and the Giraud
children booked every service day of September of the school year (and, unless the
test says otherwise, ticked present by the animateurs)."""

import datetime

import pytest
from django.utils import timezone

from family_portal.attendance.models import Mark
from family_portal.billing.models import Regie, ServiceRules
from family_portal.bookings.models import Booking
from tests.bookings.conftest import (  # noqa: F401 - fixtures, by name
    enrolments,
    lunch,
    parent,
    schedule,
)
from tests.dates import school_year
from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures, by name
    agent_client_fixture,
    agent_fixture,
    commune_fixture,
    groups_fixture,
)
from tests.family_portal.conftest import canteen, giraud_family  # noqa: F401


def september():
    return datetime.date(school_year().start_year, 9, 1)


def after(month):
    """A day when ``month`` is over: the run's "today"."""
    return (month + datetime.timedelta(days=40)).replace(day=5)


def service_days(month, weekdays=(0, 1, 3, 4)):
    day = month
    while day.month == month.month:
        if day.weekday() in weekdays:
            yield day
        day += datetime.timedelta(days=1)


def book_month(enrolment, session, month):
    now = timezone.now()
    Booking.objects.bulk_create(
        Booking(
            enrolment=enrolment,
            session=session,
            date=day,
            status=Booking.Status.BOOKED,
            booked_at=now,
        )
        for day in service_days(month)
    )


@pytest.fixture
def regie(db):
    return Regie.objects.create(name="Régie enfance", code="ENF")


def make_rules(activity, regie, **fields):
    rules = ServiceRules(
        activity=activity,
        regie=regie,
        slug=f"rules-{activity.slug}",
        label=activity.title,
        deliberation_reference="2025-041",
        deliberation_date=datetime.date(2025, 6, 30),
        unbooked_present_value="1.5",
        minimum_invoice="5.00",
        **fields,
    )
    rules.full_clean()
    rules.save()
    rules.record_version()
    return rules


@pytest.fixture
def rules(canteen, regie):  # noqa: F811
    return make_rules(canteen, regie)


def attend_month(enrolment, session, month):
    """The animateurs ticked the child present every service day of ``month``."""
    Mark.objects.bulk_create(
        Mark(enrolment=enrolment, session=session, date=day, status="present")
        for day in service_days(month)
    )


@pytest.fixture
def booked_unticked(enrolments, lunch, rules):  # noqa: F811
    """Léa and Tom booked every lunch of September; nobody ticked them yet."""
    for enrolment in enrolments.values():
        book_month(enrolment, lunch, september())
    return enrolments


@pytest.fixture
def booked(enrolments, lunch, rules):  # noqa: F811
    """Léa and Tom booked every lunch of September, and came (ticked present)."""
    for enrolment in enrolments.values():
        book_month(enrolment, lunch, september())
        attend_month(enrolment, lunch, september())
    return enrolments
