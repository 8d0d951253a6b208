"""An activity's enrolment windows as the public sees them: open with its places left,
full, waiting for a tariff, or the next one to open; for many activities in two
queries."""

import pytest
from django.utils import timezone

from family_portal import enrolment
from family_portal.discovery import availability
from family_portal.discovery.availability import Window

from .conftest import add_period, enrol

pytestmark = pytest.mark.django_db


def states(found, activity):
    return [
        (window.period.label, window.state, window.places_left)
        for window in found[activity.pk].windows
    ]


def test_each_kind_of_window(activities):
    canteen = activities["canteen"]
    enrol(canteen.periods.get(), 3)
    full = add_period(canteen, "Stage complet", opens_in=-1, closes_in=5, capacity=1)
    enrol(full)
    found = availability.of_activities(
        [activity.pk for activity in activities.values()], timezone.localdate()
    )
    assert states(found, canteen) == [
        ("Année scolaire", Window.OPEN, 27),
        ("Stage complet", Window.OPEN, 0),
    ]
    assert found[canteen.pk].windows[1].is_full
    # Only the window to come.
    assert states(found, activities["leisure"]) == [
        ("Vacances de printemps", Window.UPCOMING, 24)
    ]
    # Open, but no barème covers the period: enrolments stay closed.
    assert states(found, activities["music"]) == [
        ("Année scolaire", Window.NO_TARIFF, 30)
    ]
    assert activities["sports"].pk not in found  # its window has closed
    assert activities["index"].pk not in found


def test_an_open_window_hides_the_ones_to_come(activities):
    canteen = activities["canteen"]
    add_period(canteen, "Été", opens_in=10, closes_in=30)
    found = availability.of_activities([canteen.pk], timezone.localdate())
    assert [w.period.label for w in found[canteen.pk].windows] == ["Année scolaire"]


def test_places_left_are_the_enrolment_services_own(activities):
    period = activities["canteen"].periods.get()
    enrol(period, 4)
    waiting = period.enrolments.order_by("pk").first()
    waiting.status = waiting.Status.WAITING
    waiting.save()
    assert enrolment.places_left_in([period]) == {period.pk: 27}
    assert enrolment.places_left(period) == 27


def test_many_activities_take_two_queries(activities, django_assert_num_queries):
    for number in range(20):
        add_period(activities["canteen"], f"Stage {number}", opens_in=-1, closes_in=9)
    ids = [activity.pk for activity in activities.values()]
    with django_assert_num_queries(2):
        found = availability.of_activities(ids, timezone.localdate())
    assert len(found[activities["canteen"].pk].windows) == 21
