"""Fixtures of the site search and the home page's highlights: activities with periods
whose enrolment windows are open, full, waiting for a tariff or still to come."""

import datetime

import pytest
from django.utils import timezone
from wagtail.models import Site

from activities.models import ActivityPeriod
from family_portal import enrolment
from family_portal.models import Enrolment
from home.models import CommuneSettings
from tests.activities.factories import ActivityPageFactory
from tests.family_portal.conftest import canteen  # noqa: F401
from tests.family_portal.factories import ChildFactory, FamilyFactory


def enrol(period, count=1):
    """``count`` children of as many families take a place in ``period``."""
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    for _ in range(count):
        family = FamilyFactory()
        enrolment.confirm(
            family,
            commune,
            period,
            [ChildFactory(family=family)],
            enrolment.QfChoice(Enrolment.QfSource.NONE),
        )


def add_period(activity, label, *, opens_in, closes_in, capacity=10):
    """A period of ``activity`` whose window opens and closes so many days from today,
    with the dates of the activity's first period (its barème covers them)."""
    today = timezone.localdate()
    first = activity.periods.order_by("pk").first()
    return ActivityPeriod.objects.create(
        activity=activity,
        label=label,
        start=first.start,
        end=first.end,
        capacity=capacity,
        enrolment_opens=today + datetime.timedelta(days=opens_in),
        enrolment_closes=today + datetime.timedelta(days=closes_in),
    )


@pytest.fixture
def activities(canteen):  # noqa: F811
    """The canteen (priced, open, 30 places) and, beside it: a leisure centre whose only
    window opens in 20 days, a music school whose open window no barème covers, and a
    sports club with nothing to come. Returns them by name."""
    index = canteen.get_parent()
    barème = canteen.bareme_links.get().bareme
    leisure = ActivityPageFactory(
        parent=index, title="Centre de loisirs", slug="loisirs", baremes=[barème]
    )
    leisure.periods.all().delete()
    ActivityPeriod.objects.create(
        activity=leisure,
        label="Vacances de printemps",
        start=canteen.periods.get().start,
        end=canteen.periods.get().end,
        capacity=24,
        enrolment_opens=timezone.localdate() + datetime.timedelta(days=20),
        enrolment_closes=timezone.localdate() + datetime.timedelta(days=40),
    )
    music = ActivityPageFactory(parent=index, title="École de musique", slug="musique")
    sports = ActivityPageFactory(parent=index, title="Club de sport", slug="sport")
    sports.periods.update(
        enrolment_opens=timezone.localdate() - datetime.timedelta(days=30),
        enrolment_closes=timezone.localdate() - datetime.timedelta(days=1),
    )
    return {
        "canteen": canteen,
        "leisure": leisure,
        "music": music,
        "sports": sports,
        "index": index,
    }
