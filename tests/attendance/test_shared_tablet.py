"""A shared tablet: taps carry the account they were made under, and the server never
records one under another account (it is held back for its author to send)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from family_portal.attendance.groups import ANIMATEURS_GROUP
from family_portal.attendance.models import Mark, Tap
from family_portal.attendance.taps import record_taps
from tests.attendance.conftest import tap
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(site):
    user = UserFactory(username="collegue", first_name="Paul", last_name="Lenoir")
    user.groups.add(Group.objects.get(name=ANIMATEURS_GROUP))
    site.animateurs.add(user)
    return user


def test_a_tap_made_under_another_account_is_held_not_recorded(
    animateur, colleague, site, enrolments, lunch, day, now, booked
):
    lea, tom = enrolments["Léa"], enrolments["Tom"]
    theirs = tap(site, lea, lunch, day, at=now, user=animateur.pk)
    mine = tap(site, tom, lunch, day, at=now, user=colleague.pk)
    results = record_taps(colleague, [theirs, mine], now=now)
    assert [r.outcome for r in results] == ["held", "applied"]
    assert "autre compte" in results[0].message
    assert not Tap.objects.filter(tap_id=theirs["id"]).exists()
    assert Tap.objects.get(tap_id=mine["id"]).user == colleague
    # Its author sends it later: recorded under her name, once.
    results = record_taps(animateur, [theirs], now=now)
    assert results[0].outcome == "applied"
    assert Tap.objects.get(tap_id=theirs["id"]).user == animateur
    assert Mark.objects.get(enrolment=lea).status == "present"


def test_the_page_names_the_account_its_taps_are_made_under(
    client, animateur, site, lunch, day, booked
):
    client.force_login(animateur)
    page = client.get(reverse("attendance:list", args=[site.pk, lunch.pk, day])).text
    assert f'data-user="{animateur.pk}"' in page
    assert 'data-user-name="Inès R."' in page
