"""The public site's caches: what is kept, for whom, and what retires it."""

import datetime

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from wagtail.models import Site

from home import caching
from home.models import CommuneSettings, ContentPage
from tests.family_portal.factories import FamilyFactory

from .conftest import QueryCount

pytestmark = pytest.mark.django_db

HIT = caching.HIT_HEADER


@pytest.fixture(autouse=True)
def commune(home_page):
    """The commune's settings exist, as on a real site: the first page shown would
    create them, and their creation retires the cache."""
    return CommuneSettings.for_site(Site.objects.get(is_default_site=True))


def test_an_anonymous_page_is_served_from_the_cache_without_a_query(client, home_page):
    first = client.get("/")
    assert first[HIT] == "miss"
    queries, second = QueryCount(client)("get", "/")
    assert second[HIT] == "hit"
    assert queries == 0
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert "Espace famille : se connecter" in second.content.decode()


def test_a_signed_in_parent_is_never_served_nor_stored(client, home_page):
    client.get("/")  # an anonymous copy is in the cache
    family = FamilyFactory()
    client.force_login(family.users.get())
    for _ in range(2):
        response = client.get("/")
        assert HIT not in response
        assert "Mon espace famille" in response.content.decode()
    client.logout()
    anonymous = client.get("/")
    assert "Espace famille : se connecter" in anonymous.content.decode()


def test_the_family_space_and_the_accounts_are_never_cached(client, home_page):
    family = FamilyFactory()
    client.force_login(family.users.get())
    dashboard = client.get(reverse("family_portal:dashboard"))
    assert HIT not in dashboard
    assert dashboard["Cache-Control"].startswith("max-age=0")
    client.logout()
    for _ in range(2):
        login = client.get(reverse("account_login"))
        assert HIT not in login


def test_the_price_simulator_is_computed_for_each_query(client, canteen):
    client.get(canteen.url)
    assert client.get(canteen.url)[HIT] == "hit"
    params = {"simuler": "1", "residence": "resident", "rang": "1"}
    low = client.get(canteen.url, {**params, "qf": "300"})
    high = client.get(canteen.url, {**params, "qf": "3000"})
    assert HIT not in low and HIT not in high
    assert "Votre tarif estimé" in low.content.decode()
    assert low.content != high.content
    # The plain page is still the cached one, without a simulation.
    plain = client.get(canteen.url)
    assert plain[HIT] == "hit"
    assert "Votre tarif estimé" not in plain.content.decode()


def test_publishing_a_page_retires_pages_and_the_menu(client, home_page, canteen):
    client.get("/")
    client.get(canteen.url)
    page = ContentPage(title="Vie scolaire", slug="vie-scolaire", show_in_menus=True)
    home_page.add_child(instance=page)
    page.save_revision().publish()
    for url in ("/", canteen.url):
        response = client.get(url)
        assert response[HIT] == "miss"
        assert "Vie scolaire" in response.content.decode()  # in the menu
    page.unpublish()
    assert "Vie scolaire" not in client.get(canteen.url).content.decode()


def test_a_new_title_is_shown_once_published(client, canteen):
    client.get(canteen.url)
    canteen.title = "Cantine scolaire"
    canteen.save_revision().publish()
    assert "<h1>Cantine scolaire</h1>" in client.get(canteen.url).content.decode()


def test_saving_the_commune_settings_retires_the_footer(client, commune):
    client.get("/")
    commune.name = "Ville de Démo-sur-Loire"
    commune.phone = "01 02 03 04 05"
    commune.save()
    html = client.get("/").content.decode()
    assert "Ville de Démo-sur-Loire" in html
    assert "01 02 03 04 05" in html


def test_a_new_day_is_a_new_page(client, canteen, monkeypatch):
    """Activity pages say whether enrolments are open today."""
    client.get(canteen.url)
    assert client.get(canteen.url)[HIT] == "hit"
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    monkeypatch.setattr(caching.timezone, "localdate", lambda: tomorrow)
    assert client.get(canteen.url)[HIT] == "miss"


def test_a_request_with_a_cookie_or_a_query_string_skips_the_cache(client, home_page):
    client.get("/")
    client.cookies["messages"] = "something"
    assert HIT not in client.get("/")
    del client.cookies["messages"]
    client.cookies["csrftoken"] = "x" * 32  # the CSRF cookie alone changes nothing
    assert client.get("/")[HIT] == "hit"
    assert HIT not in client.get("/", {"utm_source": "lettre"})


def test_a_response_that_sets_a_cookie_is_never_stored(home_page):
    request = RequestFactory().get("/")
    request.resolver_match = type("Match", (), {"url_name": "wagtail_serve"})()
    response = HttpResponse("<p>page</p>")
    assert caching.response_is_cacheable(request, response)
    response.set_cookie("csrftoken", "token")
    assert not caching.response_is_cacheable(request, response)
    private = HttpResponse("<p>page</p>", headers={"Cache-Control": "private"})
    assert not caching.response_is_cacheable(request, private)


def test_the_caches_can_be_turned_off(client, home_page, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/")
    assert HIT not in client.get("/")


def test_a_lost_generation_never_brings_back_older_entries(home_page):
    from django.core.cache import cache

    first = caching.generation()
    cache.delete(caching.GENERATION_KEY)
    assert caching.generation() != first


def test_a_signed_in_parent_reuses_the_route_and_the_fragments(client, canteen):
    family = FamilyFactory()
    client.force_login(family.users.get())
    client.get(canteen.url)  # finds the route, renders the fragments
    queries, response = QueryCount(client)("get", canteen.url)
    assert response.status_code == 200
    assert "Mon espace famille" in response.content.decode()
    # Session and user, family-space link, the page, its view restrictions (two),
    # the commune's settings: no site look-up, no walk down the tree.
    assert queries <= 7


def test_a_remembered_route_follows_unpublishing_and_moves(client, home_page, canteen):
    family = FamilyFactory()
    client.force_login(family.users.get())
    assert client.get(canteen.url).status_code == 200
    canteen.unpublish()
    assert client.get(canteen.url).status_code == 404
    canteen.save_revision().publish()
    assert client.get(canteen.url).status_code == 200
    old_url = canteen.url
    canteen.move(home_page, pos="last-child")
    canteen.refresh_from_db()
    # Wagtail's automatic redirect answers the old address, not a stale route.
    moved = client.get(old_url)
    assert moved.status_code == 301 and moved["Location"] == canteen.url
    assert client.get(canteen.url).status_code == 200
