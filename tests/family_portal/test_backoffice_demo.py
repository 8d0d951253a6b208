"""The back-office demo: an agent of "Ville de Démo" has something to do on each screen,
and the demo account can do it (permissions granted by the loader)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.models import Site

from activities.demo import load_demo_activities
from family_portal.backoffice.demo import HOLIDAY_COURSE, load_backoffice_demo
from family_portal.demo import load_demo_family
from family_portal.models import Enrolment, Family, QfDocument
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
    return commune


def test_the_demo_gives_each_screen_something_to_show(client, demo):
    assert QfDocument.objects.filter(status="pending").count() == 1
    assert Enrolment.objects.filter(status="qf_pending").count() == 2
    course = Enrolment.objects.filter(period__label=HOLIDAY_COURSE)
    assert sorted(course.values_list("status", flat=True)) == [
        "confirmed",
        "confirmed",
        "waiting",
    ]
    assert Family.objects.filter(qf_refresh_consent=True).count() == 3

    agent = get_user_model().objects.get(username="agent")
    client.force_login(agent)
    document = QfDocument.objects.get()
    for url in [
        reverse("family_portal_family_modeladmin_index"),
        reverse("family_portal_qfdocument_modeladmin_index"),
        reverse("family_backoffice:document_check", args=[document.pk]),
        reverse("family_backoffice:document_file", args=[document.pk]),
        reverse("family_backoffice:qf_pending"),
        reverse("family_backoffice:period_list"),
        reverse("wagtailadmin_home"),
    ]:
        assert client.get(url).status_code == 200, url
    editor = get_user_model().objects.get(username="editeur")
    client.force_login(editor)
    assert client.get(reverse("family_backoffice:qf_pending")).status_code == 302


def test_loading_twice_changes_nothing(demo):
    counts = (
        Family.objects.count(),
        Enrolment.objects.count(),
        QfDocument.objects.count(),
    )
    load_backoffice_demo(demo)
    assert (
        Family.objects.count(),
        Enrolment.objects.count(),
        QfDocument.objects.count(),
    ) == counts
