"""The public pages that exist today, in a real browser: axe-core clean on a phone and a
desktop, keyboard access to the content through the skip link, reflow at 320 px."""

import pytest

from tests.e2e.accessibility import (
    assert_aria_references_resolve,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    assert_skip_link_moves_focus_to_main,
)
from tests.e2e.conftest import NARROWEST

PUBLIC_PAGES = {
    "home": "/",
    "content-page": "/vie-scolaire/",
    # Its periods table names the grid pricing each period (a barème in force).
    "activity-page": "/activites/restauration-scolaire/",
    "accessibility-statement": "/accessibilite/",
    "sign-in": "/compte/login/",
    "sign-up": "/compte/signup/",
}
PAGE_IDS = list(PUBLIC_PAGES)
PAGE_PATHS = list(PUBLIC_PAGES.values())


@pytest.mark.parametrize("path", PAGE_PATHS, ids=PAGE_IDS)
def test_page_passes_axe_and_the_skip_link_works(
    live_server, page, demo_commune, viewport, path
):
    response = page.goto(live_server.url + path)
    assert response.status == 200
    assert page.locator("h1").count() == 1
    assert_no_axe_violations(page)
    assert_aria_references_resolve(page)
    assert_skip_link_moves_focus_to_main(page)


@pytest.mark.parametrize("path", PAGE_PATHS, ids=PAGE_IDS)
def test_page_reflows_at_320_pixels(live_server, page, demo_commune, path):
    page.set_viewport_size(NARROWEST)
    page.goto(live_server.url + path)
    assert_no_horizontal_scroll(page)


def test_failed_sign_in_explains_in_french_and_stays_accessible(
    live_server, page, demo_commune, viewport
):
    page.goto(live_server.url + "/compte/login/")
    page.get_by_label("E-mail").fill("parent@demo.example.org")
    page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()
    assert "/compte/login/" in page.url
    assert page.get_by_role("alert").is_visible()
    assert_no_axe_violations(page)
    assert_aria_references_resolve(page)


def tab_to(page, label, limit=10):
    """Press Tab until the field labelled `label` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused_label = page.evaluate(
            "document.activeElement.labels?.[0]?.textContent.trim() ?? ''"
        )
        if focused_label.startswith(label):
            return
    pytest.fail(f"{limit} presses of Tab never reached the field {label!r}")


def test_keyboard_alone_signs_a_parent_in(live_server, page, demo_commune):
    page.goto(live_server.url + "/compte/login/")
    assert_skip_link_moves_focus_to_main(page)
    tab_to(page, "E-mail")
    page.keyboard.type("parent@demo.example.org")
    tab_to(page, "Mot de passe")
    page.keyboard.type("demo-parent-2026")
    page.keyboard.press("Enter")
    page.wait_for_url("**/espace-famille/**")
    assert page.get_by_role("heading", level=1).is_visible()
