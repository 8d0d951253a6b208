"""Accessibility of the parents' screens, in a real browser on a phone and a desktop:
axe-core (WCAG 2.1 A/AA) and the ARIA references on the activities, every step of the
enrolment wizard (error states included), the family space, the result page and the
certificate verification page; a keyboard-only walk of the wizard; the accessibility
statement linked from every page's footer.

The home page, a content page, the statement and the sign-in and sign-up pages are
checked by test_public_pages.py.
"""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from wagtail.models import Site

from activities.models import ActivityPage
from family_portal import enrolment as enrolments
from family_portal.certificates import services as certificates
from family_portal.models import Enrolment, Family, QuotientRecord
from home.models import CommuneSettings
from tests.e2e.accessibility import (
    assert_aria_references_resolve,
    assert_no_axe_violations,
)
from tests.e2e.test_journeys_parent import (
    SMALL_PDF,
    click_and_wait,
    continue_,
    expect_step,
    sign_in,
)


def assert_accessible(page):
    assert page.locator("h1").count() == 1, f"one <h1> expected on {page.url}"
    assert_no_axe_violations(page)
    assert_aria_references_resolve(page)


def conservatory():
    return ActivityPage.objects.get(slug="conservatoire")


def signed_in(page, live_server):
    page.goto(live_server.url + "/compte/login/")
    sign_in(page)


def start_wizard(page, live_server):
    page.goto(live_server.url + conservatory().url)
    click_and_wait(page, page.get_by_role("link", name="S'inscrire en ligne"))
    expect_step(page, "Enfants et période")


def giraud():
    return Family.objects.get(name="Famille Giraud")


# -- public activity pages ----------------------------------------------------------------


def test_activity_index_and_page_with_a_simulation(
    live_server, page, demo_commune, viewport
):
    page.goto(live_server.url + "/activites/")
    assert_accessible(page)

    page.goto(live_server.url + conservatory().url)
    assert_accessible(page)
    # An error in the simulator (nothing typed), then a result, both shown in place.
    page.get_by_role("button", name="Calculer mon tarif").click()
    page.locator("#simulateur [role='alert']").first.wait_for()
    assert_accessible(page)
    page.get_by_label("Votre quotient familial (en euros)").fill("1200")
    page.get_by_role("button", name="Calculer mon tarif").click()
    page.get_by_role("heading", name="Votre tarif estimé").wait_for()
    assert_accessible(page)

    # The same result without JavaScript's help: the server's page.
    page.goto(
        live_server.url
        + conservatory().url
        + "?qf=1200&residence=resident&rang=2&simuler=1#simulateur"
    )
    assert page.get_by_role("heading", name="Votre tarif estimé").is_visible()
    assert_accessible(page)


# -- the wizard, step by step -------------------------------------------------------------


def test_each_wizard_step_with_its_errors_and_the_api_path(
    live_server, page, demo_commune, api_particulier, viewport
):
    signed_in(page, live_server)
    start_wizard(page, live_server)
    assert_accessible(page)

    # Step 1 with its errors: nothing chosen.
    continue_(page)
    expect_step(page, "Enfants et période")
    assert page.get_by_text("Choisissez au moins un enfant.").first.is_visible()
    assert_accessible(page)
    page.get_by_role("checkbox", name=re.compile("^Léa Giraud")).check()
    page.get_by_role("radio", name=re.compile("Année scolaire")).check()
    continue_(page)

    expect_step(page, "Quotient familial")
    assert_accessible(page)
    page.get_by_role("radio", name=re.compile("Le demander à la CAF")).check()
    continue_(page)

    # The identity step: without the consent, then with the API down.
    expect_step(page, "Accord et demande")
    assert_accessible(page)
    continue_(page)
    assert page.get_by_text(
        re.compile("Votre accord est nécessaire")
    ).first.is_visible()
    assert_accessible(page)
    api_particulier.add_fault("status", status=503)
    page.get_by_role("checkbox", name=re.compile("J'accepte que la commune")).check()
    continue_(page)
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "momentanément indisponible" in alert.inner_text()
    page.get_by_role("region", name="Que souhaitez-vous faire ?").wait_for()
    assert_accessible(page)

    # The API is back: "Continuer" tries again and gets the QF.
    api_particulier.clear_faults()
    if not page.get_by_role("checkbox", name=re.compile("J'accepte")).is_checked():
        page.get_by_role("checkbox", name=re.compile("J'accepte")).check()
    continue_(page)
    expect_step(page, "Tarif")
    assert_accessible(page)
    continue_(page)

    expect_step(page, "Confirmation")
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="Confirmer l'inscription"))
    expect_step(page, "Confirmation")
    assert page.get_by_text("Cochez la case pour confirmer").first.is_visible()
    assert_accessible(page)
    page.get_by_role("checkbox", name=re.compile("Je confirme l'inscription")).check()
    click_and_wait(page, page.get_by_role("button", name="Confirmer l'inscription"))

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Votre demande d'inscription"
    )
    assert_accessible(page)

    click_and_wait(page, page.get_by_role("link", name="Retour à mon espace famille"))
    assert page.get_by_role("heading", level=1).inner_text() == "Famille Giraud"
    assert page.get_by_text("Conservatoire de musique et de danse").first.is_visible()
    assert_accessible(page)


def test_the_document_step_and_its_error(
    live_server, page, demo_commune, viewport, tmp_path
):
    signed_in(page, live_server)
    start_wizard(page, live_server)
    page.get_by_role("checkbox", name=re.compile("^Léa Giraud")).check()
    page.get_by_role("radio", name=re.compile("Année scolaire")).check()
    continue_(page)
    page.get_by_role("radio", name=re.compile("^Envoyer un justificatif")).check()
    continue_(page)

    expect_step(page, "Justificatif")
    assert_accessible(page)
    lying = tmp_path / "attestation.pdf"
    lying.write_bytes(b"<html><script>alert(1)</script></html>")
    page.get_by_role(
        "radio", name=re.compile("^Attestation de quotient familial")
    ).check()
    page.get_by_label("Fichier").set_input_files(lying)
    continue_(page)
    expect_step(page, "Justificatif")
    assert page.get_by_text(re.compile("ni un PDF, ni une image")).first.is_visible()
    assert_accessible(page)

    real = tmp_path / "attestation-caf.pdf"
    real.write_bytes(SMALL_PDF)
    page.get_by_label("Fichier").set_input_files(real)
    continue_(page)
    expect_step(page, "Tarif")
    assert "provisoire" in page.get_by_role("main").inner_text()
    assert_accessible(page)


def test_the_identity_step_when_caf_does_not_know_the_parent(
    live_server, page, demo_commune, api_particulier, viewport
):
    signed_in(page, live_server)
    start_wizard(page, live_server)
    page.get_by_role("checkbox", name=re.compile("^Léa Giraud")).check()
    page.get_by_role("radio", name=re.compile("Année scolaire")).check()
    continue_(page)
    page.get_by_role("radio", name=re.compile("Le demander à la CAF")).check()
    continue_(page)
    page.get_by_label("Nom de naissance").fill("Inconnudutout")
    page.get_by_role("checkbox", name=re.compile("J'accepte que la commune")).check()
    continue_(page)
    page.get_by_role("region", name="Que souhaitez-vous faire ?").wait_for()
    assert_accessible(page)


# -- the family space and the verification page -------------------------------------------


@pytest.fixture
def enrolled(demo_commune):
    """Léa enrolled at the conservatory with a QF of the family's, and her certificate."""
    family = giraud()
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    today = timezone.localdate()
    record = QuotientRecord.objects.create(
        family=family,
        value=Decimal("1200"),
        provider="CNAF",
        source=QuotientRecord.Source.API,
        month=today.replace(day=1),
        valid_from=today,
        valid_until=QuotientRecord.school_year_end(today),
    )
    [enrolment] = enrolments.confirm(
        family,
        commune,
        conservatory().periods.get(),
        [family.children.get(first_name="Léa")],
        enrolments.QfChoice(Enrolment.QfSource.RECORD, record),
    )
    return certificates.current_certificate(enrolment)


def test_family_space_and_certificate_verification(
    live_server, page, demo_commune, enrolled, viewport, browser_errors
):
    signed_in(page, live_server)
    assert page.get_by_role("heading", level=1).inner_text() == "Famille Giraud"
    assert "1200" in page.get_by_role("main").inner_text().replace("\u202f", "")
    assert_accessible(page)

    page.goto(live_server.url + certificates_url(enrolled))
    assert "authentique et en vigueur" in page.get_by_role("main").inner_text()
    assert_accessible(page)

    response = page.goto(
        live_server.url + f"/attestations/verifier/{enrolled.number}/x/"
    )
    assert response.status == 404
    assert "Attestation introuvable" in page.get_by_role("main").inner_text()
    assert_accessible(page)
    # The browser reports the 404 asked for.
    browser_errors.remove(
        "console error: Failed to load resource: the server responded with a status "
        "of 404 (Not Found)"
    )


def certificates_url(certificate):
    return f"/attestations/verifier/{certificate.number}/{certificate.token}/"


# -- keyboard only ---------------------------------------------------------------------------


def focused(page):
    """What has the keyboard focus: its tag, type, name (label or text) and outline."""
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            const label = element.labels?.[0]?.textContent ?? "";
            const style = getComputedStyle(element);
            return {
                tag: element.tagName,
                type: element.type ?? "",
                name: (label || element.textContent || "").trim().replace(/\\s+/g, " "),
                outline: style.outlineStyle !== "none" || style.boxShadow !== "none",
            };
        }"""
    )


def tab_to(page, pattern, limit=60):
    """Press Tab until the focused control's name matches `pattern`; check it shows
    where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        current = focused(page)
        if re.search(pattern, current["name"]):
            assert current["outline"], f"no visible focus on {current}"
            return current
    pytest.fail(f"{limit} presses of Tab never reached {pattern!r}")


def press_and_wait(page, key):
    with page.expect_navigation():
        page.keyboard.press(key)


def test_keyboard_alone_walks_the_wizard_to_the_confirmation(
    live_server, page, demo_commune, api_particulier
):
    signed_in(page, live_server)
    page.goto(live_server.url + conservatory().url)
    tab_to(page, "^S'inscrire en ligne$")
    press_and_wait(page, "Enter")
    expect_step(page, "Enfants et période")

    for child in ("Sarah Giraud", "Léa Giraud"):
        tab_to(page, f"^{child}")
        page.keyboard.press("Space")
    tab_to(page, "Année scolaire")
    page.keyboard.press("Space")
    tab_to(page, "^Continuer$")
    press_and_wait(page, "Enter")

    expect_step(page, "Quotient familial")
    # The first choice, asking CAF or MSA, is already selected.
    current = tab_to(page, "Le demander à la CAF")
    assert current["type"] == "radio"
    assert page.get_by_role(
        "radio", name=re.compile("Le demander à la CAF")
    ).is_checked()
    tab_to(page, "^Continuer$")
    press_and_wait(page, "Enter")

    expect_step(page, "Accord et demande")
    tab_to(page, "^J'accepte que la commune")
    page.keyboard.press("Space")
    tab_to(page, "^Continuer$")
    press_and_wait(page, "Enter")

    expect_step(page, "Tarif")
    tab_to(page, "^Continuer$")
    press_and_wait(page, "Enter")

    expect_step(page, "Confirmation")
    tab_to(page, "^Je confirme l'inscription")
    page.keyboard.press("Space")
    tab_to(page, "^Confirmer l'inscription$")
    press_and_wait(page, "Enter")

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Votre demande d'inscription"
    )
    statuses = set(
        Enrolment.objects.filter(family=giraud()).values_list("status", flat=True)
    )
    assert statuses == {Enrolment.Status.CONFIRMED}


# -- the accessibility statement -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/activites/", "/compte/login/"])
def test_the_accessibility_statement_is_linked_from_the_footer(
    live_server, page, demo_commune, path
):
    page.goto(live_server.url + path)
    footer = page.get_by_role("contentinfo")
    link = footer.get_by_role("link", name=re.compile("^Accessibilité : "))
    assert link.inner_text() == "Accessibilité : non conforme"
    click_and_wait(page, link)
    assert page.url == live_server.url + "/accessibilite/"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Déclaration d'accessibilité"
    )
    main = page.get_by_role("main").inner_text()
    assert "État de conformité" in main and "Voies de recours" in main
