"""The attendance demo: the animateur signs in and finds today's list at his site."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from family_portal.attendance.demo import ANIMATEUR
from family_portal.attendance.models import AttendanceSite

pytestmark = pytest.mark.django_db


def test_the_animateur_finds_today_s_list(client, root_page):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=io.StringIO())  # idempotent
    assert ANIMATEUR["password"] in out.getvalue()
    site = AttendanceSite.objects.get()
    assert client.login(username=ANIMATEUR["username"], password=ANIMATEUR["password"])
    home = client.get(reverse("attendance:home"))
    assert site.name in home.text and "Accueil du soir" in home.text
    session = site.schedules.get().sessions.get()
    page = client.get(
        reverse("attendance:list", args=[site.pk, session.pk, timezone.localdate()])
    )
    assert page.context["listed"].counts()["booked"] == 11
    assert len(page.context["listed"].addable) == 1
    assert "Absent signalé par la famille" in page.text
    assert "Absence justifiée (certificat accepté)" in page.text
    assert "data-timed" in page.text  # billed by the half hour: arrival and departure
