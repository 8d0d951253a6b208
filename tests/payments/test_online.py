"""Online payment against our fake PayFiP over real HTTP: an invoice is marked paid only
from PayFiP's own answer about an operation we created, once, whatever the
notifications and the browser do."""

import datetime
import json
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from family_portal.payments.models import OperationStatus, Payment, PaymentOperation
from family_portal.payments.services import check_operation, check_waiting

pytestmark = pytest.mark.django_db(transaction=True)


NOTIFICATION = "/espace-famille/paiements/notification/"


def notify_url(live_server):
    return live_server.url + "/espace-famille/paiements/notification/"


def post_notification(live_server, **form):
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(  # noqa: S310 - the live server
        notify_url(live_server), data=data, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def paid(invoice):
    invoice.refresh_from_db()
    return invoice.paid_amount


@pytest.mark.parametrize(
    ("choice", "status", "amount", "message"),
    [
        ("P", OperationStatus.PAID, Decimal("42.50"), "Paiement accepté"),
        ("V", OperationStatus.PAID, Decimal("42.50"), "Paiement accepté"),
        ("R", OperationStatus.REFUSED, Decimal("0"), "Paiement refusé"),
        ("Z", OperationStatus.REFUSED, Decimal("0"), "Paiement refusé"),
        ("A", OperationStatus.ABANDONED, Decimal("0"), "Paiement abandonné"),
    ],
)
def test_each_outcome_is_what_payfip_says(
    browser, invoice, choice, status, amount, message
):
    idop, back = browser.pay(invoice, choice)
    operation = PaymentOperation.objects.get(idop=idop)
    assert operation.status == status  # the notification came first, and was checked
    assert operation.amount_cents == 4250
    assert paid(invoice) == amount
    assert Payment.objects.filter(allocations__invoice=invoice).count() == (
        1 if amount else 0
    )
    page = browser.come_back(back)
    assert page.status_code == 200
    assert message in page.content.decode()
    if amount:
        assert invoice.status() == "paid"
        assert operation.numauto and operation.resultrans == choice


def test_the_operation_records_who_asked_and_payfips_answer(browser, invoice, parent):
    idop, _back = browser.pay(invoice, "P")
    operation = PaymentOperation.objects.get(idop=idop)
    assert operation.created_by == parent
    assert operation.email == parent.email
    assert operation.answer_refdet == operation.refdet
    assert operation.answer_amount == "4250"
    assert len(operation.dattrans) == 8 and len(operation.heurtrans) == 4
    assert operation.payment.recorded_by is None
    assert operation.settled_at is not None


# Two requests at once: on SQLite the live server's threads share the tests' one
# in-memory connection (pytest-django), which no production deployment does, and a
# clash there breaks every later test of the worker. PostgreSQL gives each its own.
@pytest.mark.postgres
def test_a_notification_received_twice_at_once_pays_once(browser, invoice, payfip):
    payfip.faults(notify_twice=True)
    idop, _ = browser.pay(invoice, "P")
    assert Payment.objects.filter(operation__idop=idop).count() == 1
    assert paid(invoice) == Decimal("42.50")


def test_a_notification_sent_again_later_changes_nothing(
    browser, invoice, payfip, live_server
):
    idop, _ = browser.pay(invoice, "P")
    assert post_notification(live_server, idOp=idop) == 200
    payfip.notify(idop)
    assert Payment.objects.count() == 1
    assert paid(invoice) == Decimal("42.50")


def test_a_forged_notification_for_an_unknown_operation_is_refused(
    browser, invoice, payfip, live_server
):
    result = payfip.notify("0123456789abcdef", url=notify_url(live_server))
    assert result["status"] == 404
    assert not Payment.objects.exists()
    assert paid(invoice) == 0


def test_a_notification_before_payfip_has_a_result_records_nothing(
    browser, invoice, payfip, live_server
):
    payfip.faults(notify_early=True)
    idop = browser.start(invoice)
    # even a forged notification with other parameters only makes us ask PayFiP
    assert (
        post_notification(live_server, idOp=idop, resultrans="P", montant="4250") == 200
    )
    operation = PaymentOperation.objects.get(idop=idop)
    assert operation.status == OperationStatus.WAITING
    assert paid(invoice) == 0


def test_an_answer_for_another_amount_is_refused(browser, invoice, payfip):
    payfip.faults(amount_delta=-4000)
    idop, back = browser.pay(invoice, "P")
    operation = PaymentOperation.objects.get(idop=idop)
    assert operation.status == OperationStatus.ANOMALY
    assert "montant" in operation.last_error
    assert not Payment.objects.exists()
    assert paid(invoice) == 0
    assert "rien n'a été enregistré" in browser.come_back(back).content.decode()


def test_the_browser_coming_back_before_the_notification(browser, invoice, payfip):
    payfip.faults(hold_notifications=True)
    idop, back = browser.pay(invoice, "P")
    assert PaymentOperation.objects.get(idop=idop).status == OperationStatus.WAITING
    page = browser.come_back(back)  # asks PayFiP itself
    assert "Paiement accepté" in page.content.decode()
    payfip.notify(idop)  # the late notification
    assert Payment.objects.count() == 1
    assert paid(invoice) == Decimal("42.50")


def test_the_return_page_of_a_waiting_payment_says_waiting(browser, invoice):
    idop = browser.start(invoice)
    page = browser.client.get(
        f"/espace-famille/paiements/retour/?idop={idop}", HTTP_HOST=browser.host
    )
    assert "Paiement en attente" in page.content.decode()


def test_another_familys_operation_is_not_shown(browser, invoice, client):
    idop = browser.start(invoice)
    from tests.factories import UserFactory
    from tests.family_portal.factories import FamilyFactory

    other = UserFactory()
    FamilyFactory(users=[other])
    client.force_login(other)
    page = client.get(
        f"/espace-famille/paiements/retour/?idop={idop}", HTTP_HOST=browser.host
    )
    assert page.status_code == 404


def test_a_second_online_payment_waits_for_the_first(browser, invoice):
    browser.start(invoice)
    response = browser.client.post(
        f"/espace-famille/paiements/facture/{invoice.pk}/payer-en-ligne/",
        HTTP_HOST=browser.host,
        follow=True,
    )
    assert "déjà en cours" in response.content.decode()
    assert PaymentOperation.objects.count() == 1


def test_the_invoice_page_offers_to_pay_then_shows_the_pending_payment(
    browser, invoice
):
    url = f"/espace-famille/factures/{invoice.pk}/"
    assert (
        "Payer en ligne"
        in browser.client.get(url, HTTP_HOST=browser.host).content.decode()
    )
    browser.start(invoice)
    page = browser.client.get(url, HTTP_HOST=browser.host).content.decode()
    assert "Payer en ligne" not in page
    assert "est en cours" in page


def test_p5_then_p1_expires_the_operation(browser, invoice, payfip):
    idop = browser.start(invoice)
    assert check_operation(idop).status == OperationStatus.WAITING  # P5
    payfip.forget(idop)  # the night's purge
    operation = check_operation(idop)
    assert operation.status == OperationStatus.EXPIRED
    assert operation.last_error == "P1"
    assert paid(invoice) == 0
    browser.start(invoice)  # a new online payment is possible again


def test_p5_for_more_than_two_hours_expires_through_the_daily_command(browser, invoice):
    idop = browser.start(invoice)
    assert check_waiting() == {"waiting": 1}
    later = timezone.now() + datetime.timedelta(hours=2, minutes=1)
    assert check_waiting(now=later) == {"expired": 1}
    assert PaymentOperation.objects.get(idop=idop).last_error == "P5"


def test_the_daily_command_records_a_payment_whose_notification_was_lost(
    browser, invoice, payfip, capsys
):
    payfip.faults(hold_notifications=True)
    idop, _ = browser.pay(invoice, "P")
    call_command("check_online_payments")
    assert "paid: 1" in capsys.readouterr().out
    assert paid(invoice) == Decimal("42.50")
    call_command("check_online_payments")  # nothing waiting any more
    assert Payment.objects.count() == 1


def test_payfip_down_keeps_the_operation_waiting(browser, invoice, payfip, settings):
    idop = browser.start(invoice)
    settings.PAYFIP_WSDL_URL = "http://127.0.0.1:9/tpa/services/securite?wsdl"
    assert check_waiting() == {"unreachable": 1}
    assert PaymentOperation.objects.get(idop=idop).status == OperationStatus.WAITING


def test_a_slow_payfip_is_given_up_with_a_french_message(
    browser, invoice, payfip, settings
):
    settings.PAYFIP_TIMEOUT = 0.5
    payfip.faults(latency=1.5)
    response = browser.client.post(
        f"/espace-famille/paiements/facture/{invoice.pk}/payer-en-ligne/",
        HTTP_HOST=browser.host,
        follow=True,
    )
    assert "ne répond pas pour le moment" in response.content.decode()
    assert not PaymentOperation.objects.exists()


def test_the_fake_lists_its_operations(payfip):
    url = payfip.base_url + "/__fake__/operations"
    with urllib.request.urlopen(url) as response:  # noqa: S310 - the fake
        assert json.loads(response.read()) == []


def test_the_notification_queues_the_question_and_answers_at_once(
    browser, invoice, payfip, settings
):
    """In production the question to PayFiP runs in a db_worker: the request only
    notes the operation and queues a check, so a burst never holds the web workers."""
    from django_tasks import default_task_backend

    from family_portal.payments.tasks import check_notified_operations

    payfip.faults(hold_notifications=True)
    idop, _ = browser.pay(invoice, "P")
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}
    }
    response = browser.client.post(NOTIFICATION, {"idOp": idop})
    assert response.status_code == 200
    operation = PaymentOperation.objects.get(idop=idop)
    assert operation.status == OperationStatus.WAITING
    assert operation.notified_at is not None
    [queued] = default_task_backend.results
    assert queued.task.func is check_notified_operations.func
    assert browser.client.post(NOTIFICATION, {"idOp": "inconnu"}).status_code == 404
    assert len(default_task_backend.results) == 1  # nothing queued for a stranger
    # what the db_worker then does
    assert check_notified_operations.call() == {OperationStatus.PAID: 1}
    assert paid(invoice) == Decimal("42.50")
    assert PaymentOperation.objects.get(idop=idop).notified_at is None
    assert browser.client.post(NOTIFICATION, {"idOp": idop}).status_code == 200
    assert len(default_task_backend.results) == 1  # settled: nothing more to ask
    assert check_notified_operations.call() == {}


def test_a_queued_check_while_payfip_is_down_leaves_the_operation_waiting(
    browser, invoice, payfip, settings
):
    from family_portal.payments.notifications import note
    from family_portal.payments.tasks import check_notified_operations

    payfip.faults(hold_notifications=True)
    idop, _ = browser.pay(invoice, "P")
    settings.PAYFIP_WSDL_URL = "http://127.0.0.1:9/tpa/services/securite?wsdl"
    assert note(idop) == OperationStatus.WAITING
    assert check_notified_operations.call() == {"unreachable": 1}
    assert PaymentOperation.objects.get(idop=idop).status == OperationStatus.WAITING
    assert paid(invoice) == 0


def test_nothing_stays_wrong_after_the_daily_command(browser, invoice, payfip, capsys):
    """Every notification lost, payments in every state: one run of the daily
    command settles each operation as PayFiP says, and pays each invoice once."""
    from tests.payments.conftest import another_invoice

    payfip.faults(hold_notifications=True)
    invoices = {name: another_invoice(invoice, n) for n, name in enumerate("PVRZA")}
    invoices["unfinished"] = another_invoice(invoice, 5)
    invoices["purged"] = another_invoice(invoice, 6)
    idops = {}
    for choice in "PVRZA":
        idops[choice], _ = browser.pay(invoices[choice], choice)
    idops["unfinished"] = browser.start(invoices["unfinished"])
    idops["purged"] = browser.start(invoices["purged"])
    payfip.forget(idops["purged"])
    # the unfinished one was started three hours ago: PayFiP's P5 has lasted too long
    PaymentOperation.objects.filter(idop=idops["unfinished"]).update(
        created_at=timezone.now() - datetime.timedelta(hours=3)
    )
    assert PaymentOperation.objects.filter(status="waiting").count() == 7

    call_command("check_online_payments")
    out = capsys.readouterr().out
    assert "abandoned: 1, expired: 2, paid: 2, refused: 2" in out
    expected = {
        "P": ("paid", Decimal("42.50")),
        "V": ("paid", Decimal("42.50")),
        "R": ("refused", 0),
        "Z": ("refused", 0),
        "A": ("abandoned", 0),
        "unfinished": ("expired", 0),
        "purged": ("expired", 0),
    }
    for name, (status, amount) in expected.items():
        operation = PaymentOperation.objects.get(idop=idops[name])
        assert operation.status == status, name
        assert paid(invoices[name]) == amount, name
        payments = Payment.objects.filter(
            allocations__invoice=invoices[name]
        ).distinct()
        assert sum(p.amount for p in payments) == amount, name
        assert payments.count() == (1 if amount else 0), name
    assert not PaymentOperation.objects.filter(status="waiting").exists()

    # the notifications arriving late, and the command run again, change nothing
    for name in expected:
        payfip.notify(idops[name])
    call_command("check_online_payments")
    assert "online payments checked: none" in capsys.readouterr().out
    assert Payment.objects.count() == 2
    # an invoice whose operation expired or failed can be paid online again
    assert browser.start(invoices["purged"]) and browser.start(invoices["R"])


def test_the_family_pages_let_pay_online_go_on_to_payfip(browser, invoice, settings):
    """ "Payer en ligne" is answered by a redirect to PayFiP's page, which the browser
    blocks unless the invoice page's form-action allows PayFiP's origin."""
    url = f"/espace-famille/factures/{invoice.pk}/"
    policy = browser.client.get(url, HTTP_HOST=browser.host)["Content-Security-Policy"]
    form_action = next(
        part.split()[1:] for part in policy.split(";") if "form-action" in part
    )
    assert browser.payfip.base_url in form_action and "'self'" in form_action
    settings.PAYFIP_PAYMENT_URL = ""  # production: the real PayFiP
    policy = browser.client.get(url, HTTP_HOST=browser.host)["Content-Security-Policy"]
    assert "https://www.payfip.gouv.fr" in policy
    admin = browser.client.get("/admin/login/", HTTP_HOST=browser.host)
    assert "payfip" not in admin["Content-Security-Policy"]
