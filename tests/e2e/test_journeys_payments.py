"""The demo parent pays an invoice online: "Payer en ligne" on the invoice page, our fake
PayFiP's payment page (real HTTP on 127.0.0.1), back to the portal's return page, and
the invoice paid; a refused card pays nothing. axe finds nothing on the three pages, on
a phone (390×844) and on a desktop screen (1280 px)."""

import pytest

from family_portal.payments.demo import load_payments_demo
from family_portal.payments.fakepayfip.testing import (
    FakePayFiPControl,
    running_fake_payfip,
)
from family_portal.payments.models import OperationStatus, Payment, PaymentOperation
from tests.e2e.accessibility import (
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
)
from tests.e2e.conftest import DESKTOP, MOBILE
from tests.e2e.test_journeys_billing import demo_invoice
from tests.e2e.test_journeys_parent import click_and_wait, sign_in


@pytest.fixture(scope="module")
def fake_payfip_thread():
    with running_fake_payfip() as server:
        yield server


@pytest.fixture
def payfip(fake_payfip_thread, settings):
    """The live server's PayFiP client pointed at our fake one; its controls."""
    base_url = fake_payfip_thread.base_url
    settings.PAYFIP_WSDL_URL = base_url + "/tpa/services/securite?wsdl"
    settings.PAYFIP_PAYMENT_URL = base_url + "/tpa/paiementws.web"
    control = FakePayFiPControl(base_url)
    control.reset()
    yield control
    control.reset()


def checked_at_both_sizes(page):
    """axe (WCAG 2.1 A/AA) and reflow on a phone, then on a desktop screen."""
    for size in (DESKTOP, MOBILE):
        page.set_viewport_size(size)
        assert_no_axe_violations(page)
        assert_no_horizontal_scroll(page)


def open_unpaid_invoice(page, live_server):
    invoice = demo_invoice()
    load_payments_demo()  # (a no-op when the demo already opened its régies)
    assert invoice.outstanding() > 0 and invoice.regie.payfip_client_number
    page.set_viewport_size(MOBILE)
    page.goto(live_server.url + "/espace-famille/")
    sign_in(page)
    click_and_wait(page, page.get_by_role("link", name="Mes factures"))
    click_and_wait(
        page, page.get_by_role("link", name=f"Facture n° {invoice.number}", exact=True)
    )
    return invoice


def pay_online(page, payfip, invoice):
    """Click "Payer en ligne": the fake PayFiP's page, with the invoice's amount."""
    click_and_wait(
        page,
        page.get_by_role(
            "button", name=f"Payer en ligne la facture n° {invoice.number}"
        ),
    )
    assert page.url.startswith(payfip.base_url + "/tpa/paiementws.web?idop=")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Payer")
    amount = f"{invoice.outstanding():.2f}".replace(".", ",")
    assert f"{amount} €" in page.get_by_role("main").inner_text()
    return PaymentOperation.objects.get(invoice=invoice, status="waiting")


def test_the_demo_parent_pays_an_invoice_online(
    live_server, page, demo_commune, payfip
):
    invoice = open_unpaid_invoice(page, live_server)
    outstanding = invoice.outstanding()
    checked_at_both_sizes(page)
    operation = pay_online(page, payfip, invoice)
    checked_at_both_sizes(page)

    click_and_wait(page, page.get_by_role("button", name="Carte acceptée"))
    # PayFiP notified the portal before sending the browser back; the return page
    # says what PayFiP's own answer said.
    assert page.url.startswith(live_server.url + "/espace-famille/paiements/retour/")
    status = page.get_by_role("status")
    assert "Paiement accepté" in status.inner_text()
    assert f"{outstanding:.2f} €".replace(".", ",") in status.inner_text()
    operation.refresh_from_db()
    assert operation.status == OperationStatus.PAID
    checked_at_both_sizes(page)

    click_and_wait(page, page.get_by_role("link", name="Voir la facture"))
    facts = page.locator("dl.facts").inner_text()
    assert "Payée" in facts
    assert page.get_by_role("button", name="Payer en ligne").count() == 0
    invoice.refresh_from_db()
    assert invoice.outstanding() == 0
    # One payment from PayFiP's answer (the demo's cash payment at the counter aside).
    assert Payment.objects.filter(operation=operation).count() == 1
    assert Payment.objects.filter(allocations__invoice=invoice).count() == 2


def test_a_refused_card_pays_nothing_even_when_the_browser_is_back_first(
    live_server, page, demo_commune, payfip
):
    invoice = open_unpaid_invoice(page, live_server)
    paid_before = invoice.paid_amount  # the demo's cash payment at the counter
    payments_before = Payment.objects.count()
    payfip.faults(hold_notifications=True)  # the browser is back before the notice
    operation = pay_online(page, payfip, invoice)

    click_and_wait(page, page.get_by_role("button", name="Carte refusée"))
    alert = page.get_by_role("alert")
    assert "Paiement refusé" in alert.inner_text()
    assert "rien n'a été payé" in alert.inner_text()
    operation.refresh_from_db()
    assert operation.status == OperationStatus.REFUSED  # the return page asked PayFiP
    checked_at_both_sizes(page)

    click_and_wait(page, page.get_by_role("link", name="Voir la facture"))
    assert page.get_by_role(
        "button", name=f"Payer en ligne la facture n° {invoice.number}"
    )
    invoice.refresh_from_db()
    assert invoice.paid_amount == paid_before
    assert not Payment.objects.filter(operation=operation).exists()
    payfip.notify(operation.idop)  # the late notification changes nothing
    assert Payment.objects.count() == payments_before
    invoice.refresh_from_db()
    assert invoice.paid_amount == paid_before
