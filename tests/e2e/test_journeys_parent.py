"""Parents' journeys in a real browser, on a phone: from the home page to a confirmed
enrolment priced with the QF fetched from the fake API Particulier, and the certificate;
and the parent whom CAF/MSA does not know, who sends a document instead."""

import io
import re

from pypdf import PdfReader

from family_portal.models import Enrolment, QfDocument
from tests.e2e.conftest import MOBILE

PARENT_EMAIL = "parent@demo.example.org"
PARENT_PASSWORD = "demo-parent-2026"
CONSERVATORY = "Conservatoire de musique et de danse"
# A small but real PDF (one empty page), as a scanner would send it.
SMALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def click_and_wait(page, locator):
    """Click a link or a submit button and wait for the next page to load."""
    with page.expect_navigation():
        locator.click()


def sign_in(page, email=PARENT_EMAIL, password=PARENT_PASSWORD):
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    click_and_wait(page, page.get_by_role("button", name="Connexion"))


def wizard_heading(page):
    return page.get_by_role("heading", level=2, name=re.compile(r"^Étape \d+ sur \d+"))


def expect_step(page, title):
    heading = wizard_heading(page)
    heading.wait_for()
    assert title in heading.inner_text(), heading.inner_text()


def continue_(page):
    click_and_wait(page, page.get_by_role("button", name="Continuer", exact=True))


def open_activity(page, live_server, title):
    page.goto(live_server.url + "/")
    click_and_wait(
        page,
        page.get_by_role("navigation", name="Menu principal").get_by_role(
            "link", name="Activités"
        ),
    )
    click_and_wait(page, page.get_by_role("link", name=title))
    assert page.get_by_role("heading", level=1).inner_text() == title


def amounts_in(text):
    return re.findall(r"\d+,\d\d\s?€", text)


def test_a_parent_on_a_phone_enrols_two_children_with_the_qf_from_the_api(
    live_server, page, demo_commune, api_particulier
):
    page.set_viewport_size(MOBILE)
    open_activity(page, live_server, CONSERVATORY)

    # The simulator, signed out: QF 1200 is the third bracket of the grid.
    page.get_by_label("Votre quotient familial (en euros)").fill("1200")
    page.get_by_role("button", name="Calculer mon tarif").click()
    result = page.locator("#simulateur-resultat")
    result.get_by_role("heading", name="Votre tarif estimé").wait_for()
    assert "230,00 €" in result.inner_text()
    assert "Tranche 3" in result.inner_text()

    # "S'inscrire en ligne" asks to sign in first, then comes back to the wizard.
    click_and_wait(page, page.get_by_role("link", name="S'inscrire en ligne"))
    assert "/compte/login/" in page.url
    sign_in(page)
    expect_step(page, "Enfants et période")

    page.get_by_role("checkbox", name=re.compile("^Sarah Giraud")).check()
    page.get_by_role("checkbox", name=re.compile("^Léa Giraud")).check()
    page.get_by_role("radio", name=re.compile("Année scolaire")).check()
    continue_(page)

    expect_step(page, "Quotient familial")
    page.get_by_role("radio", name=re.compile("Le demander à la CAF")).check()
    continue_(page)

    expect_step(page, "Accord et demande")
    # The identity is the guardian's, already filled in; the parent only agrees.
    assert page.get_by_label("Nom de naissance").input_value() == "Giraud"
    page.get_by_role("checkbox", name=re.compile("J'accepte que la commune")).check()
    continue_(page)

    expect_step(page, "Tarif")
    cards = page.locator("section.price-card")
    assert cards.count() == 2
    prices = {}
    for index in range(2):
        card = cards.nth(index)
        heading = card.get_by_role("heading", level=3).inner_text()
        child, _, price = heading.partition(" : ")
        prices[child] = amounts_in(price)[0]
        explanation = card.get_by_role("group").inner_text()
        assert "Pourquoi ce tarif ?" in explanation
        assert "1200" in explanation.replace("\u202f", "").replace(" ", "")
        assert "Délibération n°" in explanation
    assert set(prices) == {"Sarah", "Léa"}
    # The eldest pays the grid's price, the second child gets the sibling reduction.
    assert sorted(prices.values()) == ["207,00 €", "230,00 €"]
    continue_(page)

    expect_step(page, "Confirmation")
    page.get_by_role("checkbox", name=re.compile("Je confirme l'inscription")).check()
    click_and_wait(page, page.get_by_role("button", name="Confirmer l'inscription"))

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Votre demande d'inscription"
    )
    for child, price in prices.items():
        section = page.locator("section.price-card").filter(
            has=page.get_by_role("heading", name=re.compile(f"^{child} "))
        )
        text = section.inner_text()
        assert "Inscription confirmée" in text and price in text, text

    # The conservatory's (the billing demo gave Léa the canteen last month).
    enrolments = Enrolment.objects.filter(
        family__name="Famille Giraud", period__activity__title=CONSERVATORY
    ).select_related("child")
    assert {e.child.first_name: e.status for e in enrolments} == {
        "Sarah": Enrolment.Status.CONFIRMED,
        "Léa": Enrolment.Status.CONFIRMED,
    }
    assert {e.qf_source for e in enrolments} == {Enrolment.QfSource.API}

    link = page.get_by_role("link", name=re.compile("attestation de tarif de Léa"))
    with (
        page.expect_response(re.compile(r"/attestation/$")) as answer,
        page.expect_download() as download,
    ):
        link.click()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "application/pdf"
    content = open(download.value.path(), "rb").read()
    assert content.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert prices["Léa"].replace(" €", "") in text
    assert "Léa Giraud" in text


def test_a_parent_unknown_to_the_caf_sends_a_document_instead(
    live_server, page, demo_commune, api_particulier, tmp_path
):
    page.set_viewport_size(MOBILE)
    page.goto(live_server.url + "/compte/login/")
    sign_in(page)
    open_activity(page, live_server, CONSERVATORY)
    click_and_wait(page, page.get_by_role("link", name="S'inscrire en ligne"))

    expect_step(page, "Enfants et période")
    page.get_by_role("checkbox", name=re.compile("^Léa Giraud")).check()
    page.get_by_role("radio", name=re.compile("Année scolaire")).check()
    continue_(page)
    page.get_by_role("radio", name=re.compile("Le demander à la CAF")).check()
    continue_(page)

    expect_step(page, "Accord et demande")
    page.get_by_label("Nom de naissance").fill("Inconnudutout")
    page.get_by_role("checkbox", name=re.compile("J'accepte que la commune")).check()
    continue_(page)

    page.get_by_role("alert").first.wait_for()
    choices = page.get_by_role("region", name="Que souhaitez-vous faire ?")
    # What the parent typed is kept, to correct it or try another way.
    assert page.get_by_label("Nom de naissance").input_value() == "Inconnudutout"
    click_and_wait(
        page, choices.get_by_role("button", name="Envoyer plutôt un justificatif")
    )

    expect_step(page, "Justificatif")
    page.get_by_role(
        "radio", name=re.compile("^Attestation de quotient familial")
    ).check()
    attestation = tmp_path / "attestation-caf.pdf"
    attestation.write_bytes(SMALL_PDF)
    page.get_by_label("Fichier").set_input_files(attestation)
    continue_(page)

    expect_step(page, "Tarif")
    assert "provisoire" in page.get_by_role("main").inner_text()
    continue_(page)
    expect_step(page, "Confirmation")
    page.get_by_role("checkbox", name=re.compile("Je confirme l'inscription")).check()
    click_and_wait(page, page.get_by_role("button", name="Confirmer l'inscription"))

    text = page.get_by_role("main").inner_text()
    assert "(provisoire)" in text
    document = QfDocument.objects.get(family__name="Famille Giraud")
    assert document.status == QfDocument.Status.PENDING
    assert document.content_type == "application/pdf"
    assert document.file.read() == SMALL_PDF
    enrolment = Enrolment.objects.get(
        family__name="Famille Giraud", period__activity__title=CONSERVATORY
    )
    assert enrolment.status == Enrolment.Status.QF_PENDING
    assert enrolment.qf_source == Enrolment.QfSource.DOCUMENT
