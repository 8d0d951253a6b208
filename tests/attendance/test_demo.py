"""The attendance demo: the animateur signs in and finds today's list at his site."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from family_portal.attendance.demo import ANIMATEUR, EVENING
from family_portal.attendance.models import AttendanceSite
from family_portal.bookings.models import Booking

pytestmark = pytest.mark.django_db


def test_the_animateur_finds_today_s_list(client, root_page):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=io.StringIO())  # idempotent
    # The animateur's account has a line of its own in the printed table.
    line = next(x for x in out.getvalue().splitlines() if ANIMATEUR["password"] in x)
    assert line.split() == [
        *ANIMATEUR["role"].split(),
        "/pointage/",
        ANIMATEUR["username"],
        ANIMATEUR["password"],
    ]
    site = AttendanceSite.objects.get()
    assert client.login(username=ANIMATEUR["username"], password=ANIMATEUR["password"])
    home = client.get(reverse("attendance:home"))
    assert site.name in home.text and "Accueil du soir" in home.text
    session = site.schedules.get().sessions.get(name=EVENING)
    today = timezone.localdate()
    page = client.get(reverse("attendance:list", args=[site.pk, session.pk, today]))
    # The attendance demo's 11, and the bookings demo's evening care when today is one
    # of its days.
    booked = Booking.objects.filter(
        session=session, date=today, status=Booking.Status.BOOKED
    ).count()
    assert booked >= 11
    assert page.context["listed"].counts()["booked"] == booked
    assert len(page.context["listed"].addable) == 1
    assert "Absent signalé par la famille" in page.text
    assert "Absence justifiée (certificat accepté)" in page.text
    assert "data-timed" in page.text  # billed by the half hour: arrival and departure
