"""The ways to find a page, in a real browser: the home page with its highlighted
activities and news, the search form in the header and its results, and the plan du
site; axe-core clean on a phone and a desktop, nothing wider than a 320 or 390 px
screen."""

import pytest

from tests.e2e.accessibility import (
    assert_aria_references_resolve,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
)
from tests.e2e.conftest import MOBILE, NARROWEST

PAGES = {
    "home": "/",
    "search-results": "/recherche/?q=loisirs",
    "search-empty": "/recherche/",
    "search-no-result": "/recherche/?q=xylophone",
    "site-plan": "/plan-du-site/",
}


def elements_wider_than_the_viewport(page):
    """Visible elements of the main content or the header whose box leaves the
    viewport."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            return [...document.querySelectorAll("header *, main *")]
                .filter((element) => element.getClientRects().length)
                .map((element) => [element, element.getBoundingClientRect()])
                .filter(([, box]) => box.left < -0.5 || box.right > width + 0.5)
                .map(([element, box]) =>
                    `${element.tagName.toLowerCase()}.${element.className} `
                    + `«${element.textContent.trim().slice(0, 30)}» from `
                    + `${Math.round(box.left)} to ${Math.round(box.right)} px`);
        }"""
    )


@pytest.mark.parametrize("path", list(PAGES.values()), ids=list(PAGES))
def test_the_ways_to_find_a_page_pass_axe(
    live_server, page, demo_commune, viewport, path
):
    response = page.goto(live_server.url + path)
    assert response.status == 200
    assert page.locator("h1").count() == 1
    assert_no_axe_violations(page)
    assert_aria_references_resolve(page)


@pytest.mark.parametrize("screen", [NARROWEST, MOBILE], ids=["320px", "390px"])
@pytest.mark.parametrize("path", list(PAGES.values()), ids=list(PAGES))
def test_nothing_overflows_a_phone(live_server, page, demo_commune, screen, path):
    page.set_viewport_size(screen)
    page.goto(live_server.url + path)
    assert_no_horizontal_scroll(page)
    assert elements_wider_than_the_viewport(page) == []


def test_the_home_page_shows_activities_with_places_and_the_news(
    live_server, page, demo_commune
):
    page.set_viewport_size(MOBILE)
    page.goto(live_server.url + "/")
    activities = page.get_by_role("region", name="Inscriptions et activités")
    assert activities.get_by_role("link").count() == 3
    assert "places restantes" in activities.inner_text()
    assert "Inscriptions ouvertes jusqu'au" in activities.inner_text()
    news = page.get_by_role("region", name="Actualités")
    assert news.get_by_role("listitem").count() == 3


def test_searching_from_the_header_of_any_page(live_server, page, demo_commune):
    page.set_viewport_size(MOBILE)
    page.goto(live_server.url + "/plan-du-site/")
    header_search = page.get_by_role("search", name="Sur tout le site")
    header_search.get_by_role("searchbox", name="Rechercher sur le site").fill(
        "conservatoire"
    )
    header_search.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**/recherche/?q=conservatoire")
    assert page.title().startswith("Résultats pour «\xa0conservatoire\xa0»")
    results = page.get_by_role("region", name="résultat")
    result = page.get_by_role("link", name="Conservatoire de musique et de danse")
    assert result.is_visible()
    assert "places restantes" in results.inner_text()
    # The footer's plan du site, from the results page: the second way.
    page.get_by_role("contentinfo").get_by_role("link", name="Plan du site").click()
    page.wait_for_url("**/plan-du-site/")
    plan = page.get_by_role("navigation", name="Pages du site")
    assert plan.get_by_role("link", name="Conservatoire de musique et de danse").count()
