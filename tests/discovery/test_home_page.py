"""The home page: the highlighted activities with their next enrolment window and places
left (the editors' choice, or on its own those open and to come), the latest news, and
its cache, which an enrolment retires."""

import datetime

import pytest
from django.utils import timezone
from wagtail.models import Site

from family_portal.backoffice import places
from family_portal.discovery import showcase
from home import caching
from home.models import CommuneSettings, HomePageHighlight
from tests.factories import UserFactory

from .conftest import add_period, enrol

pytestmark = pytest.mark.django_db


def highlights_section(client):
    html = client.get("/").content.decode()
    start = html.index('id="highlights-title"')
    return html[start : html.index("</section>", start)]


def test_the_editors_choice_in_their_order_with_windows_and_places(
    client, home_page, activities
):
    HomePageHighlight.objects.create(
        home=home_page, page=activities["leisure"], sort_order=0, text="L'été !"
    )
    HomePageHighlight.objects.create(
        home=home_page, page=activities["canteen"], sort_order=1
    )
    enrol(activities["canteen"].periods.get(), 2)
    section = highlights_section(client)
    assert section.index("Centre de loisirs") < section.index("Restauration scolaire")
    assert "L&#x27;été !" in section
    # The leisure centre's window opens later; the canteen's is open.
    opens = timezone.localdate() + datetime.timedelta(days=20)
    assert f"Inscriptions du {opens.day}" in section
    assert "24 places" in section
    assert "28 places restantes" in section
    # The canteen's own introduction, since the editor wrote no text of their own.
    assert "Une activité pour les enfants de la commune." in section
    assert "École de musique" not in section  # not chosen


def test_an_unpublished_choice_is_left_out(client, home_page, activities):
    HomePageHighlight.objects.create(home=home_page, page=activities["leisure"])
    HomePageHighlight.objects.create(home=home_page, page=activities["canteen"])
    activities["leisure"].unpublish()
    section = highlights_section(client)
    assert "Centre de loisirs" not in section
    assert "Restauration scolaire" in section


def test_without_a_choice_the_open_activities_then_those_to_come(
    client, home_page, activities
):
    canteen = activities["canteen"]
    canteen.periods.update(enrolment_closes=timezone.localdate())
    section = highlights_section(client)
    titles = ["Restauration scolaire", "École de musique", "Centre de loisirs"]
    positions = [section.index(title) for title in titles]
    # Open with places first, then open without a tariff, then opening later.
    assert positions == sorted(positions)
    assert (
        "Inscriptions fermées : les tarifs de ces dates ne sont pas encore votés"
        in (section)
    )
    assert "Club de sport" not in section  # nothing to come
    assert showcase.AUTOMATIC_COUNT == 3


def test_the_automatic_choice_keeps_three(home_page, activities):
    for number in range(4):
        add_period(activities["canteen"], f"Stage {number}", opens_in=-1, closes_in=3)
    today = timezone.localdate()
    chosen = showcase.highlights(home_page, today)
    assert len(chosen) == showcase.AUTOMATIC_COUNT
    assert all(highlight.is_activity for highlight in chosen)


def test_the_latest_news_newest_first(client, home_page):
    today = timezone.localdate()
    home_page.news = [
        {
            "type": "news_item",
            "value": {
                "title": title,
                "date": (today - datetime.timedelta(days=days)).isoformat()
                if days is not None
                else None,
                "summary": f"Résumé {title}",
            },
        }
        for title, days in [
            ("Ancienne", 40),
            ("Sans date", None),
            ("Récente", 1),
            ("Moyenne", 10),
            ("Vieille", 90),
        ]
    ]
    home_page.save_revision().publish()
    html = client.get("/").content.decode()
    news = html[html.index('id="news-title"') :]
    assert [title in news for title in ("Récente", "Moyenne", "Ancienne")] == [True] * 3
    assert news.index("Récente") < news.index("Moyenne") < news.index("Ancienne")
    assert "Vieille" not in news and "Sans date" not in news


class TestCache:
    """Anonymous visitors get the home page from the cache; an enrolment or a change of
    places retires it at once, and only the pages that show places left."""

    @pytest.fixture(autouse=True)
    def cache_on(self, settings, home_page, activities):
        settings.PAGE_CACHE_SECONDS = 600
        HomePageHighlight.objects.create(home=home_page, page=activities["canteen"])
        # Made by the first page shown otherwise, and their creation retires the cache.
        CommuneSettings.for_site(Site.objects.get(is_default_site=True))

    def test_an_enrolment_retires_the_home_page_only(
        self, client, activities, django_capture_on_commit_callbacks
    ):
        content = activities["canteen"].url
        assert "30 places restantes" in client.get("/").content.decode()
        client.get(content)
        assert client.get("/")[caching.HIT_HEADER] == "hit"
        assert client.get(content)[caching.HIT_HEADER] == "hit"
        with django_capture_on_commit_callbacks(execute=True):
            enrol(activities["canteen"].periods.get())
        response = client.get("/")
        assert response[caching.HIT_HEADER] == "miss"
        assert "29 places restantes" in response.content.decode()
        assert client.get("/")[caching.HIT_HEADER] == "hit"
        # The activity page shows no places left: still served from the cache.
        assert client.get(content)[caching.HIT_HEADER] == "hit"

    def test_a_cancellation_frees_the_place_on_the_home_page(
        self, client, activities, django_capture_on_commit_callbacks
    ):
        period = activities["canteen"].periods.get()
        enrol(period)
        assert "29 places restantes" in client.get("/").content.decode()
        item = period.enrolments.get()
        with django_capture_on_commit_callbacks(execute=True):
            places.cancel(item, reason="Déménagement", user=UserFactory())
        assert "30 places restantes" in client.get("/").content.decode()

    def test_an_agent_changing_the_places_retires_the_home_page(
        self, client, activities, django_capture_on_commit_callbacks
    ):
        period = activities["canteen"].periods.get()
        assert "30 places restantes" in client.get("/").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            places.change_capacity(
                period, 40, reason="Une salle de plus", user=UserFactory()
            )
        assert "40 places restantes" in client.get("/").content.decode()

    def test_signed_in_parents_see_the_places_of_now_too(
        self, client, activities, django_capture_on_commit_callbacks
    ):
        # The home body is a fragment reused by signed-in visitors: it varies on places.
        client.force_login(UserFactory())
        assert "30 places restantes" in client.get("/").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            enrol(activities["canteen"].periods.get(), 2)
        assert "28 places restantes" in client.get("/").content.decode()


def test_editors_choose_activity_pages_in_the_home_page_admin(admin_client, home_page):
    html = admin_client.get(f"/admin/pages/{home_page.pk}/edit/").content.decode()
    assert "Activités mises en avant" in html
    assert "Sans choix de votre part, la page d&#x27;accueil montre" in html
    assert "activities.activitypage" in html.lower()  # the chooser's page type
