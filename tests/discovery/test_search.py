"""The site search: live public pages of the site and the home page's news items, the
activities with their window and places left, French messages for an empty query, a
query too long and no result, and pagination."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction

from family_portal.discovery import search
from tests.factories import ContentPageFactory

from .conftest import enrol

pytestmark = pytest.mark.django_db

URL = "/recherche/"


def results(response):
    html = response.content.decode()
    if 'class="search-results"' not in html:
        return ""
    start = html.index('class="search-results"')
    return html[start : html.index("</ol>", start)]


def test_an_activity_is_found_with_its_places_left(client, activities):
    enrol(activities["canteen"].periods.get(), 5)
    response = client.get(URL, {"q": "restauration"})
    assert response.status_code == 200
    found = results(response)
    assert "Restauration scolaire" in found
    assert "Activité" in found
    assert "25 places restantes" in found
    html = response.content.decode()
    assert "<title>Résultats pour «&nbsp;restauration&nbsp;»" in html
    assert "résultat" in html


def test_words_are_found_whatever_their_accents_and_all_are_required(
    client, activities
):
    assert "École de musique" in results(client.get(URL, {"q": "ecole MUSIQUE"}))
    assert "École de musique" not in results(client.get(URL, {"q": "école cantine"}))


def test_the_beginning_of_a_title_finds_it(client, activities):
    assert "Restauration scolaire" in results(client.get(URL, {"q": "restaur"}))


def test_private_and_unpublished_pages_are_not_found(client, home_page):
    ContentPageFactory(parent=home_page, title="Horaires publics", slug="publics")
    draft = ContentPageFactory(parent=home_page, title="Horaires brouillon", slug="b")
    draft.unpublish()
    private = ContentPageFactory(parent=home_page, title="Horaires privés", slug="p")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    found = results(client.get(URL, {"q": "horaires"}))
    assert "Horaires publics" in found
    assert "brouillon" not in found and "privés" not in found


def test_news_items_are_found_even_past_the_home_page(client, home_page):
    today = timezone.localdate()
    home_page.news = [
        {
            "type": "news_item",
            "value": {
                "title": f"Brève {number}",
                "date": (today - datetime.timedelta(days=number)).isoformat(),
                "summary": "Fermeture de l'Hôtel de ville" if number == 8 else "Autre",
            },
        }
        for number in range(10)
    ]
    home_page.save_revision().publish()
    found = results(client.get(URL, {"q": "hotel fermeture"}))
    assert "Brève 8" in found and "Actualité" in found
    assert "Brève 1" not in found


def test_an_empty_query_explains_what_to_do(client, home_page):
    for params in ({}, {"q": "   "}):
        html = client.get(URL, params).content.decode()
        assert "Saisissez un ou plusieurs mots" in html
        assert reverse("site_plan") in html
        assert "Aucun résultat" not in html


def test_no_result_says_so_and_suggests_other_ways(client, home_page):
    html = client.get(URL, {"q": "xylophone"}).content.decode()
    assert "Aucun résultat pour «&nbsp;xylophone&nbsp;»" in html
    assert "vérifier l'orthographe" in html
    assert reverse("site_plan") in html


def test_a_query_too_long_is_refused_in_french_and_kept(client, home_page):
    query = "cantine " * 30
    html = client.get(URL, {"q": query}).content.decode()
    assert "Votre recherche est trop longue : 200 caractères au plus." in html
    assert 'aria-invalid="true"' in html
    assert "cantine cantine" in html  # what was typed stays in the field


def test_results_are_paginated(client, home_page):
    for number in range(search.PER_PAGE + 3):
        ContentPageFactory(
            parent=home_page, title=f"Piscine {number:02d}", slug=f"piscine-{number}"
        )
    first = client.get(URL, {"q": "piscine"})
    html = first.content.decode()
    assert (
        f"{search.PER_PAGE + 3} résultats pour «&nbsp;piscine&nbsp;», page 1 sur 2"
        in html
    )
    assert results(first).count('class="search-result"') == search.PER_PAGE
    assert 'href="?q=piscine&amp;page=2" rel="next"' in html
    second = client.get(URL, {"q": "piscine", "page": "2"})
    assert results(second).count('class="search-result"') == 3
    assert 'start="11"' in results(second)
    assert "(page 2 sur 2)" in second.content.decode()
    # A page number out of range shows the last page, not an error.
    assert client.get(URL, {"q": "piscine", "page": "99"}).status_code == 200
    assert client.get(URL, {"q": "piscine", "page": "abc"}).status_code == 200


def test_every_page_has_the_search_form_in_its_header(client, home_page, activities):
    for url in ("/", activities["canteen"].url, reverse("site_plan")):
        html = client.get(url).content.decode()
        header = html[html.index("<header") : html.index("</header>")]
        assert 'role="search"' in header
        assert f'action="{URL}"' in header
        assert '<label class="visually-hidden" for="recherche-site">' in header
