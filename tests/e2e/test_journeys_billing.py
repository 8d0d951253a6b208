"""A parent on a phone opens "Mes factures", last month's invoice and its PDF (tagged,
in French); axe finds nothing on these pages."""

import datetime
import io

import pikepdf
from wagtail.models import Site

from family_portal.billing.demo import load_billing_demo
from family_portal.billing.models import Invoice
from home.models import CommuneSettings
from tests.e2e.accessibility import (
    assert_aria_references_resolve,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
)
from tests.e2e.conftest import MOBILE
from tests.e2e.test_journeys_parent import click_and_wait, sign_in


def checks(page):
    assert_no_axe_violations(page)
    assert_aria_references_resolve(page)
    assert_no_horizontal_scroll(page)


def demo_invoice():
    invoice = Invoice.objects.filter(family__name="Famille Giraud").first()
    if invoice is None:  # July or August: last month is out of the school year
        commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
        period = (
            Invoice._meta.apps.get_model("activities", "ActivityPeriod")
            .objects.filter(activity__slug="restauration-scolaire")
            .get()
        )
        invoice = load_billing_demo(
            commune, today=period.start + datetime.timedelta(days=45)
        )
    return invoice


def test_a_parent_opens_an_invoice_and_its_pdf(live_server, page, demo_commune):
    invoice = demo_invoice()
    page.set_viewport_size(MOBILE)
    page.goto(live_server.url + "/espace-famille/")
    sign_in(page)
    click_and_wait(page, page.get_by_role("link", name="Mes factures"))
    assert page.get_by_role("heading", level=1).inner_text() == "Mes factures"
    checks(page)
    click_and_wait(
        page, page.get_by_role("link", name=f"Facture n° {invoice.number}", exact=True)
    )
    assert page.get_by_role("heading", level=1).inner_text() == (
        f"Facture n° {invoice.number}"
    )
    assert page.get_by_role("heading", level=2, name="Léa — Restauration scolaire")
    assert "présence réservée" in page.content()
    checks(page)
    link = page.get_by_role(
        "link", name=f"Télécharger le PDF de la facture n° {invoice.number}"
    )
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(response.body())) as pdf:
        assert str(pdf.Root.Lang) == "fr" and "/StructTreeRoot" in pdf.Root
        assert str(pdf.docinfo["/Title"]).startswith(f"Facture {invoice.number}")
