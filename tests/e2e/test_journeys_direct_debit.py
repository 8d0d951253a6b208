"""The demo parent's SEPA mandate pages, on a phone and on a desktop: revoke the demo's
mandate, sign a new one (a wrong IBAN refused in French with everything typed kept, then
a valid one), see it with the IBAN masked; axe finds nothing on any of these pages."""

import re

from family_portal.directdebit.models import Mandate, MandateEvent
from family_portal.models import Family
from tests.e2e.accessibility import (
    assert_aria_references_resolve,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
)
from tests.e2e.test_journeys_parent import click_and_wait, sign_in

GOOD_IBAN = "FR76 3000 6000 0112 3456 7890 189"
BAD_IBAN = "FR76 3000 6000 0112 3456 7890 188"  # one digit off: the key is wrong


def iban(page):
    return page.get_by_role("textbox", name=re.compile(r"^IBAN"))


def checks(page):
    assert_no_axe_violations(page)
    assert_aria_references_resolve(page)
    assert_no_horizontal_scroll(page)


def test_the_parent_revokes_then_signs_a_mandate(
    live_server, page, demo_commune, viewport
):
    family = Family.objects.get(name="Famille Giraud")
    demo_mandate = Mandate.objects.get(family=family, status=Mandate.Status.ACTIVE)
    page.goto(live_server.url + "/espace-famille/")
    sign_in(page)
    click_and_wait(page, page.get_by_role("link", name="Prélèvement automatique"))
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Prélèvement automatique"
    )
    assert demo_mandate.reference in page.content()
    assert "0112 3456" not in page.content()  # the IBAN is masked
    checks(page)

    click_and_wait(page, page.get_by_role("link", name="Révoquer le mandat"))
    checks(page)
    click_and_wait(page, page.get_by_role("button", name="Révoquer le mandat"))
    assert "Cochez cette case pour révoquer le mandat." in page.content()
    page.get_by_label("Je révoque ce mandat").check()
    click_and_wait(page, page.get_by_role("button", name="Révoquer le mandat"))
    assert f"Le mandat {demo_mandate.reference} est révoqué" in page.content()
    demo_mandate.refresh_from_db()
    assert demo_mandate.status == Mandate.Status.REVOKED
    assert demo_mandate.events.filter(kind=MandateEvent.Kind.REVOKED).exists()
    checks(page)

    click_and_wait(
        page, page.get_by_role("link", name="Signer un mandat de prélèvement")
    )
    page.get_by_label("Titulaire du compte").fill("Odile Giraud")
    page.get_by_label("Adresse du titulaire").fill("12 rue des Tilleuls")
    iban(page).fill(BAD_IBAN)
    page.get_by_label("J'autorise la commune").check()
    click_and_wait(page, page.get_by_role("button", name="Signer le mandat"))
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Mandat de prélèvement SEPA"
    )
    error = page.locator(".errorlist, .error-message, [role=alert]").first
    assert "IBAN" in error.inner_text()
    shown = page.locator("body").inner_text()
    english = ("This field", "Enter a", "is not valid", "Invalid")
    assert not any(words in shown for words in english)
    assert page.get_by_label("Titulaire du compte").input_value() == "Odile Giraud"
    assert page.get_by_label("Adresse du titulaire").input_value() == (
        "12 rue des Tilleuls"
    )
    assert iban(page).input_value() == BAD_IBAN
    checks(page)
    assert not Mandate.objects.filter(
        family=family, status=Mandate.Status.ACTIVE
    ).exists()

    iban(page).fill(GOOD_IBAN)
    if not page.get_by_label("J'autorise la commune").is_checked():
        page.get_by_label("J'autorise la commune").check()
    click_and_wait(page, page.get_by_role("button", name="Signer le mandat"))
    signed = Mandate.objects.get(family=family, status=Mandate.Status.ACTIVE)
    assert signed.pk != demo_mandate.pk
    assert signed.holder_name == "Odile Giraud"
    assert signed.street == "12 rue des Tilleuls"
    assert f"Votre mandat de prélèvement {signed.reference} est signé" in (
        page.content()
    )
    assert "IBAN se terminant par 0189" in page.content()
    assert "0112 3456" not in page.content()
    checks(page)
