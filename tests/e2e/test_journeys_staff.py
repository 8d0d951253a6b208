"""The town hall's journeys in a real browser: an editor creates and publishes an
activity page priced by a barème; an agent checks a family's document (recording its
QF) and prints a certificate."""

import io
import re
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfReader
from wagtail.models import Site

from activities.demo import school_year_start
from activities.models import ActivityPage
from family_portal import enrolment as enrolments
from family_portal.backoffice.permissions import grant_agent_permissions
from family_portal.models import Enrolment, Family, QfDocument
from home.models import CommuneSettings
from tests.e2e.test_journeys_parent import SMALL_PDF

ADMIN_PASSWORDS = {"editeur": "demo-editeur-2026", "agent": "demo-agent-2026"}


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def admin_sign_in(page, live_server, username):
    page.goto(live_server.url + "/admin/login/")
    page.get_by_role("textbox", name=re.compile("^Nom d.utilisateur")).fill(username)
    page.get_by_label(re.compile("Mot de passe")).fill(ADMIN_PASSWORDS[username])
    click_and_wait(page, page.get_by_role("button", name=re.compile("^S.identifier$")))
    assert page.url == live_server.url + "/admin/"


def test_an_editor_creates_and_publishes_an_activity_page_with_a_bareme(
    live_server, page, demo_commune, browser_errors
):
    # Wagtail autosaves the new page as it is typed; until the required fields are
    # filled in, it answers 400 with the form's errors, which the browser reports.
    autosaves = []
    page.on(
        "response",
        lambda response: (
            autosaves.append(response.url)
            if response.status == 400
            and response.request.method == "POST"
            and "text/html" not in (response.request.headers.get("accept") or "")
            else None
        ),
    )
    admin_sign_in(page, live_server, "editeur")
    index = demo_commune.get_children().get(slug="activites")
    page.goto(f"{live_server.url}/admin/pages/{index.pk}/")
    click_and_wait(page, page.get_by_role("link", name="Ajouter une sous-page"))

    def field(role, name, within=page):
        return within.get_by_role(role, name=re.compile(f"^{name}"))

    field("textbox", "Titre").fill("Stage de théâtre")
    field("combobox", "Catégorie").select_option(label="Culture")
    field("textbox", "Chapô").fill("Une semaine sur les planches, spectacle à la fin.")

    page.get_by_role("button", name=re.compile("Ajouter.*Période")).click()
    period = page.locator("[id^='inline_child_periods-']").first
    field("textbox", "Libellé", period).fill("Vacances de printemps")
    field("textbox", "Début", period).fill("2027-04-19")
    field("textbox", "Fin", period).fill("2027-04-23")
    field("spinbutton", "Places", period).fill("12")
    field("textbox", "Ouverture des inscriptions", period).fill("2026-11-01")
    field("textbox", "Clôture des inscriptions", period).fill("2027-04-01")

    page.get_by_role("button", name=re.compile("Ajouter.*Barème")).click()
    link = page.locator("[id^='inline_child_bareme_links-']").first
    link.get_by_role("button", name=re.compile("Choisir")).click()
    modal = page.get_by_role("dialog")
    modal.get_by_role("link", name=re.compile("Conservatoire")).first.click()
    modal.wait_for(state="hidden")

    page.get_by_role("button", name="Plus d'actions").click()
    click_and_wait(page, page.get_by_role("button", name="Publier"))
    assert page.get_by_text("publiée").first.is_visible()

    created = ActivityPage.objects.get(title="Stage de théâtre")
    assert created.live
    # The demo's barèmes are those of the current school year (activities.demo).
    year = school_year_start(timezone.localdate())
    assert [link.bareme.slug for link in created.bareme_links.all()] == [
        f"conservatoire-{year}"
    ]
    page.goto(live_server.url + created.url)
    assert page.get_by_role("heading", level=1).inner_text() == "Stage de théâtre"
    tariffs = page.get_by_role("region", name="Tarifs").or_(
        page.locator("section[aria-labelledby='tarifs-titre']")
    )
    assert "230,00" in tariffs.first.inner_text()
    autosave_error = (
        "console error: Failed to load resource: the server responded with a "
        "status of 400 (Bad Request)"
    )
    for _ in autosaves:
        if autosave_error in browser_errors:
            browser_errors.remove(autosave_error)


def test_an_agent_checks_a_document_and_prints_a_certificate(
    live_server, page, demo_commune
):
    # The demo agent's permissions, and a family waiting for its document to be
    # checked: Léa enrolled at the conservatory at the provisional price.
    grant_agent_permissions()
    family = Family.objects.get(name="Famille Giraud")
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    period = ActivityPage.objects.get(slug="conservatoire").periods.get()
    [enrolment] = enrolments.confirm(
        family,
        commune,
        period,
        [family.children.get(first_name="Léa")],
        enrolments.QfChoice(Enrolment.QfSource.DOCUMENT),
    )
    assert enrolment.status == Enrolment.Status.QF_PENDING
    QfDocument.objects.create(
        family=family,
        kind=QfDocument.Kind.CAF_ATTESTATION,
        file=ContentFile(SMALL_PDF, name="attestation.pdf"),
        original_name="attestation.pdf",
        content_type="application/pdf",
        uploaded_by=family.users.get(),
    )

    admin_sign_in(page, live_server, "agent")
    page.get_by_role("button", name="Portail Famille").click()
    click_and_wait(
        page, page.get_by_role("link", name="Justificatifs à vérifier", exact=True)
    )
    row = page.get_by_role("row").filter(has_text="Famille Giraud")
    click_and_wait(page, row.get_by_role("link", name="Vérifier"))

    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .startswith("Vérifier un justificatif")
    )
    page.get_by_role("radio", name=re.compile("^Saisir le quotient")).check()
    page.get_by_role("textbox", name=re.compile(r"^Quotient familial \(€\)")).fill(
        "1200"
    )
    page.get_by_role("combobox", name=re.compile("^Organisme")).select_option(
        label="CAF"
    )
    month = timezone.localdate().replace(day=1)
    page.get_by_role("textbox", name=re.compile("^Mois du quotient")).fill(
        f"{month:%m/%Y}"
    )
    click_and_wait(page, page.get_by_role("button", name="Accepter le justificatif"))
    assert page.get_by_text(re.compile("Justificatif accepté")).first.is_visible()

    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.CONFIRMED
    assert enrolment.qf_value == Decimal("1200")

    # The enrolment, from the back-office list, then its certificate.
    page.get_by_role("button", name="Portail Famille").click()
    click_and_wait(page, page.get_by_role("link", name="Inscriptions", exact=True))
    row = page.get_by_role("row").filter(has_text="Léa")
    click_and_wait(page, row.get_by_role("link", name=re.compile("Inspecter")).first)
    link = page.get_by_role("link", name="Attestation de tarif (PDF)")
    with (
        page.expect_response(re.compile(r"/attestations/agents/")) as answer,
        page.expect_download() as download,
    ):
        link.click()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "application/pdf"
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "230,00" in text
    assert "Léa Giraud" in text
    assert "1200" in text.replace("\u202f", "").replace(" ", "")
