"""Forty parents booking the last ten places of a leisure-centre day at once, on the real
PostgreSQL of `make test`: ten get the day, thirty wait in line, nobody twice, no error."""

import datetime

import pytest
from wagtail.models import Site

from family_portal.bookings import services
from family_portal.bookings.models import (
    Booking,
    ServiceSchedule,
    ServiceSession,
    WaitingEntry,
)
from home.models import CommuneSettings
from tests.dates import born
from tests.family_portal.backoffice_support import enrol, period_of
from tests.family_portal.factories import ChildFactory, FamilyFactory, GuardianFactory

from .test_enrolment_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PARENTS = 40
PLACES = 12
ALREADY_BOOKED = 2


def test_forty_parents_and_the_last_ten_places(canteen):
    period = period_of(canteen)
    period.capacity = PARENTS + ALREADY_BOOKED
    period.save()
    schedule = ServiceSchedule.objects.create(
        period=period,
        weekdays=[2],
        school_term="all",
        deadline={
            "days_before": 7,
            "at": "12:00",
            "count": "calendar_days",
            "holidays": "metropole",
        },
    )
    day_session = ServiceSession.objects.create(
        schedule=schedule,
        name="Journée",
        starts=datetime.time(8, 30),
        ends=datetime.time(17, 30),
        capacity=PLACES,
    )
    day = services.service_days(schedule)[-1]
    now = datetime.datetime.combine(
        day, datetime.time(8, 0), tzinfo=datetime.UTC
    ) - datetime.timedelta(days=30)
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    enrolments = []
    for _ in range(PARENTS + ALREADY_BOOKED):
        family = FamilyFactory()
        GuardianFactory(family=family)
        ChildFactory(family=family, birth_date=born(5, 1, age=8))
        (enrolment,) = enrol(family, commune, period)
        enrolments.append(enrolment)
    for early in enrolments[:ALREADY_BOOKED]:
        services.book(early, day_session, [day], user=None, now=now)

    def parent(enrolment):
        return lambda: services.book(
            enrolment, day_session, [day], user=enrolment.family.users.first(), now=now
        )

    outcomes = run_together([parent(e) for e in enrolments[ALREADY_BOOKED:]])

    booked = [o for o in outcomes if o.done == [day]]
    waiting = [o for o in outcomes if o.waiting == [day]]
    assert (len(booked), len(waiting)) == (
        PLACES - ALREADY_BOOKED,
        PARENTS - PLACES + ALREADY_BOOKED,
    )
    assert (
        Booking.objects.filter(session=day_session, date=day, status="booked").count()
        == PLACES
    )
    assert WaitingEntry.objects.filter(status="waiting").count() == 30
    booked_enrolments = Booking.objects.values_list("enrolment", flat=True)
    waiting_enrolments = WaitingEntry.objects.values_list("enrolment", flat=True)
    assert len(set(booked_enrolments)) == PLACES
    assert not set(booked_enrolments) & set(waiting_enrolments)
