"""An agent (régisseur) records a cheque at the counter: a mistake is reported in French
with nothing typed lost, then the receipt is given. The parent, on a phone, opens "Mon
compte" from the dashboard, sees the payment and its receipt (a tagged French PDF); axe
finds nothing on the page."""

import io

import pikepdf

from family_portal.payments.models import Payment
from tests.e2e.accessibility import (
    assert_aria_references_resolve,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
)
from tests.e2e.conftest import MOBILE
from tests.e2e.test_journeys_billing import demo_invoice
from tests.e2e.test_journeys_parent import click_and_wait, sign_in
from tests.e2e.test_journeys_staff import admin_sign_in


def test_an_agent_records_a_cheque_and_the_parent_finds_its_receipt(
    live_server, page, demo_commune
):
    invoice = demo_invoice()
    family = invoice.family
    before = Payment.objects.filter(family=family).count()
    admin_sign_in(page, live_server, "agent")
    page.goto(live_server.url + "/admin/encaissements/")
    page.get_by_label("Nom de la famille").fill("Giraud")
    click_and_wait(page, page.get_by_role("button", name="Chercher", exact=True))
    click_and_wait(page, page.get_by_role("link", name="Compte et encaissement"))
    form = page.locator("#counter-payment")
    form.get_by_label("Chèque", exact=True).check()
    assert form.get_by_label("Banque (chèque)").is_visible()
    form.get_by_label("Numéro du chèque").fill("0004321")
    form.get_by_label("Montant reçu (€)").fill("1,50")
    form.get_by_label("Payeur").fill("Mme Odile Giraud")
    click_and_wait(page, page.get_by_role("button", name="Enregistrer le paiement"))
    assert "Indiquez la banque du chèque." in page.content()
    form = page.locator("#counter-payment")
    assert form.get_by_label("Numéro du chèque").input_value() == "0004321"
    assert form.get_by_label("Payeur").input_value() == "Mme Odile Giraud"
    form.get_by_label("Banque (chèque)").fill("Caisse d'Épargne")
    click_and_wait(page, page.get_by_role("button", name="Enregistrer le paiement"))
    payment = Payment.objects.filter(family=family).latest("pk")
    assert Payment.objects.filter(family=family).count() == before + 1
    assert (payment.method, payment.bank) == ("cheque", "Caisse d'Épargne")
    assert page.get_by_role("link", name=f"Reçu n° {payment.receipt_number} (PDF)")

    page.context.clear_cookies()
    page.set_viewport_size(MOBILE)
    page.goto(live_server.url + "/espace-famille/")
    sign_in(page)
    click_and_wait(page, page.get_by_role("link", name="Mon compte"))
    assert page.get_by_role("heading", level=1).inner_text() == "Mon compte"
    assert_no_axe_violations(page)
    assert_aria_references_resolve(page)
    assert_no_horizontal_scroll(page)
    link = page.get_by_role(
        "link", name=f"Reçu n° {payment.receipt_number}", exact=False
    ).first
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(response.body())) as pdf:
        assert str(pdf.Root.Lang) == "fr" and "/StructTreeRoot" in pdf.Root
        assert str(pdf.docinfo["/Title"]) == f"Reçu n° {payment.receipt_number}"
