"""The demo commune's bookings: the canteen, the morning and evening care and the
Wednesday leisure centre have their calendars, the demo families are booked around
today, and the demo agent opens every bookings screen with something in it."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from activities.demo import load_demo_activities
from family_portal.backoffice.demo import load_backoffice_demo
from family_portal.bookings.demo import load_bookings_demo
from family_portal.bookings.models import (
    AbsenceReport,
    Booking,
    CalendarChange,
    ServiceSchedule,
)
from family_portal.demo import load_demo_family
from home.demo import load_demo
from home.models import CommuneSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    home = load_demo()
    load_demo_activities(home)
    commune = CommuneSettings.for_site(Site.objects.get(root_page=home))
    load_demo_family(commune)
    load_backoffice_demo(commune)
    load_bookings_demo(commune)
    return commune


def test_the_demo_has_the_four_services_booked_around_today(demo):
    sessions = {
        (s.period.activity.slug, session.name)
        for s in ServiceSchedule.objects.select_related("period__activity")
        for session in s.sessions.all()
    }
    assert sessions == {
        ("restauration-scolaire", "Déjeuner"),
        ("accueil-periscolaire", "Accueil du matin"),
        ("accueil-periscolaire", "Accueil du soir"),
        ("accueil-de-loisirs", "Journée"),
    }
    today = timezone.localdate()
    booked = Booking.objects.filter(status="booked")
    if today.month not in (7, 8):  # the summer holidays have no term day to book
        assert booked.filter(date__gt=today).exists()
        assert booked.filter(date__lt=today).exists()
        assert booked.filter(session__name="Journée").exists()
    assert CalendarChange.objects.filter(kind="closure").count() == 1
    assert AbsenceReport.objects.filter(status="pending").count() == 1


def test_loading_twice_changes_nothing(demo):
    counts = (Booking.objects.count(), CalendarChange.objects.count())
    load_bookings_demo(demo)
    assert (Booking.objects.count(), CalendarChange.objects.count()) == counts


def test_the_demo_agent_opens_every_bookings_screen(client, demo):
    client.force_login(get_user_model().objects.get(username="agent"))
    schedule = ServiceSchedule.objects.get(
        period__activity__slug="accueil-periscolaire"
    )
    family = Booking.objects.filter(status="booked").first().enrolment.family
    report = AbsenceReport.objects.get()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for url in [
        reverse("bookings_serviceschedule_modeladmin_index"),
        reverse("bookings_backoffice:schedule_calendar", args=[schedule.pk]),
        reverse("bookings_backoffice:headcounts") + f"?du={tomorrow:%Y-%m-%d}",
        reverse("bookings_backoffice:family_bookings", args=[family.pk]),
        reverse("bookings_backoffice:certificate_queue"),
        reverse("bookings_backoffice:certificate_check", args=[report.pk]),
    ]:
        assert client.get(url).status_code == 200, url
    client.force_login(get_user_model().objects.get(username="editeur"))
    response = client.get(
        reverse("bookings_backoffice:schedule_calendar", args=[schedule.pk])
    )
    assert response.status_code == 200
