"""The FranceConnect parent in a real browser: signs in with the local FranceConnect,
enrols a child priced from the QF that API Particulier's FranceConnect route gave, and
types nothing at all; every page on the way is axe-clean."""

import copy
import re

import pytest
from django.urls import reverse

from family_portal.franceconnect.mock.testing import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    mock_provider_server,
)
from family_portal.models import Enrolment, QuotientRecord
from tests.e2e.accessibility import assert_no_axe_violations
from tests.e2e.conftest import MOBILE
from tests.e2e.test_journeys_parent import (
    CONSERVATORY,
    click_and_wait,
    continue_,
    expect_step,
    open_activity,
)


@pytest.fixture(scope="session")
def local_franceconnect():
    with mock_provider_server() as server:
        yield server


@pytest.fixture
def franceconnect(local_franceconnect, fake_api_thread, api_particulier, settings):
    """The live server signs parents in with the local FranceConnect (its origin
    allowed as a form target, as production allows FranceConnect's), and the fake API
    asks it who a FranceConnect bearer is."""
    base = local_franceconnect.base_url
    settings.SOCIALACCOUNT_PROVIDERS = {
        "franceconnect": {
            "APPS": [
                {
                    "client_id": DEFAULT_CLIENT_ID,
                    "secret": DEFAULT_CLIENT_SECRET,
                    "settings": {
                        "server_url": base,
                        "token_auth_method": "client_secret_post",
                    },
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    }
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = ["'self'", base]
    settings.CONTENT_SECURITY_POLICY = policy
    fake_api_thread.api.france_connect_userinfo = f"{base}/userinfo"
    yield base
    fake_api_thread.api.france_connect_userinfo = None


def test_franceconnect_parent_enrols_a_child_without_typing_anything(
    live_server, page, demo_commune, franceconnect
):
    page.set_viewport_size(MOBILE)
    page.goto(live_server.url + reverse("account_login"))
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Qu’est-ce que FranceConnect ?").wait_for()
    click_and_wait(
        page, page.get_by_role("button", name=re.compile("S’identifier avec"))
    )

    # FranceConnect (here the local one): the parent picks who they are.
    assert page.url.startswith(franceconnect)
    click_and_wait(
        page,
        page.get_by_role("button", name="Se connecter en tant que Pierre MERCIER"),
    )
    assert page.url.startswith(live_server.url)
    main = page.get_by_role("main").inner_text()
    assert "Famille Mercier" in main and "Certifié FranceConnect" in main
    assert_no_axe_violations(page)

    open_activity(page, live_server, CONSERVATORY)
    click_and_wait(page, page.get_by_role("link", name="S'inscrire en ligne"))
    expect_step(page, "Enfants et période")
    page.get_by_role("checkbox", name=re.compile("^Pierre Mercier")).check()
    page.get_by_role("radio", name=re.compile("Année scolaire")).check()
    continue_(page)

    expect_step(page, "Quotient familial")
    choice = page.get_by_role(
        "radio", name=re.compile("Utiliser mon identité FranceConnect")
    )
    assert choice.is_checked()  # offered first, chosen already
    assert_no_axe_violations(page)
    continue_(page)

    expect_step(page, "Tarif")
    card = page.locator("section.price-card").first
    explanation = card.get_by_role("group").inner_text()
    assert "2550" in explanation.replace("\u202f", "").replace(" ", "")
    assert_no_axe_violations(page)
    continue_(page)

    expect_step(page, "Confirmation")
    page.get_by_role("checkbox", name=re.compile("Je confirme l'inscription")).check()
    click_and_wait(page, page.get_by_role("button", name="Confirmer l'inscription"))
    assert "Inscription confirmée" in page.get_by_role("main").inner_text()
    assert_no_axe_violations(page)

    record = QuotientRecord.objects.get(family__name="Famille Mercier")
    assert record.value == 2550 and record.provider == "CNAF"
    enrolment = Enrolment.objects.get(family__name="Famille Mercier")
    assert enrolment.child.first_name == "Pierre"
    assert enrolment.qf_source == Enrolment.QfSource.API
    assert enrolment.qf_value == 2550
    assert enrolment.status == Enrolment.Status.CONFIRMED
