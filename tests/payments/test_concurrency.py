"""On PostgreSQL, two workers at once: two notifications of one paid operation record
one payment; two "Payer en ligne" of one invoice start one operation."""

import datetime
from decimal import Decimal

import pytest

from family_portal.billing.models import Invoice, Regie
from family_portal.payments.models import Payment, PaymentOperation
from family_portal.payments.services import (
    PaymentRefused,
    check_operation,
    start_online_payment,
)
from tests.family_portal.factories import FamilyFactory
from tests.load.test_enrolment_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

INVOICES = 8


@pytest.fixture
def invoices(parent):
    regie = Regie.objects.create(
        name="Régie", code="ENF", payfip_client_number="123456"
    )
    return [
        Invoice.objects.create(
            regie=regie,
            family=FamilyFactory(users=[parent] if n == 0 else []),
            number=f"ENF-2026-{n:06d}",
            issue_date=datetime.date(2026, 11, 3),
            total=Decimal("42.50"),
        )
        for n in range(INVOICES)
    ]


def start(invoice, parent):
    return start_online_payment(
        invoice,
        user=parent,
        email=parent.email,
        notify_url="http://127.0.0.1:9/notification/",  # nobody: we call check ourselves
        return_url="http://127.0.0.1:9/retour/",
    )


def test_two_notifications_at_once_record_one_payment(payfip, invoices, parent):
    operations = [start(invoice, parent) for invoice in invoices]
    for operation in operations:
        payfip.choose(operation.idop, "P")
    payfip.faults(latency=0.2)  # both workers hold PayFiP's answer before writing
    for operation in operations:
        results = run_together([lambda o=operation: check_operation(o.idop)] * 2)
        assert [r.status for r in results] == ["paid", "paid"]
    assert Payment.objects.count() == INVOICES
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.paid_amount == Decimal("42.50")


def test_two_pay_online_clicks_at_once_start_one_operation(payfip, invoices, parent):
    def click():
        try:
            return start(invoices[0], parent).idop
        except PaymentRefused as refusal:
            return str(refusal)

    results = run_together([click, click])
    assert PaymentOperation.objects.filter(invoice=invoices[0]).count() == 1
    assert sum("déjà en cours" in r for r in results) == 1


def test_two_notifications_at_once_over_http_record_one_payment(
    payfip, invoices, parent, live_server
):
    """The same, through the notification endpoint of a live server: two POSTs of one
    idOp at the same instant, each in its own server thread and connection."""
    from tests.payments.test_online import post_notification

    operations = [start(invoice, parent) for invoice in invoices]
    for operation in operations:
        payfip.choose(operation.idop, "P")  # its own notification goes nowhere
    payfip.faults(latency=0.2)
    for operation in operations:
        statuses = run_together(
            [lambda o=operation: post_notification(live_server, idOp=o.idop)] * 2
        )
        assert statuses == [200, 200]
    assert Payment.objects.count() == INVOICES
    assert PaymentOperation.objects.filter(status="paid").count() == INVOICES
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.paid_amount == Decimal("42.50")


def test_a_burst_is_checked_by_threads_and_two_workers_each_operation_once(
    payfip, invoices, parent
):
    """Every operation noted (some twice), then two db_workers' checks at once, four
    threads each: each operation is taken by one thread, and paid once."""
    from family_portal.payments.notifications import check_noted, note

    operations = [start(invoice, parent) for invoice in invoices]
    for operation in operations:
        payfip.choose(operation.idop, "P")
    payfip.faults(latency=0.05)
    for operation in operations + operations[:3]:
        assert note(operation.idop) == "waiting"
    counts = run_together([lambda: check_noted(threads=4)] * 2)
    assert sum(sum(c.values()) for c in counts) == INVOICES  # none checked twice
    assert Payment.objects.count() == INVOICES
    assert set(PaymentOperation.objects.values_list("status", "notified_at")) == {
        ("paid", None)
    }
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.paid_amount == Decimal("42.50")
    assert note(operations[0].idop) == "paid"  # settled: not noted again
    assert not PaymentOperation.objects.filter(notified_at__isnull=False).exists()


@pytest.fixture
def database_queue(settings):
    """django-tasks-db's queue, as in production (the tests run the immediate backend,
    without its app): its model registered and its table created for this test only."""
    from django.apps import AppConfig, apps
    from django.db import connection

    config = AppConfig.create("django_tasks_db")
    config.apps = apps
    apps.app_configs[config.label] = config
    config.import_models()
    apps.clear_cache()
    config.ready()  # its signal handlers
    from django_tasks_db.models import DBTaskResult

    with connection.schema_editor() as editor:
        editor.create_model(DBTaskResult)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    try:
        yield DBTaskResult.objects
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(DBTaskResult)
        del apps.app_configs[config.label]
        apps.clear_cache()


def test_a_burst_of_notifications_queues_one_check_at_a_time(
    payfip, invoices, parent, client, database_queue
):
    from family_portal.payments.tasks import check_notified_operations

    operations = [start(invoice, parent) for invoice in invoices]
    notify = "/espace-famille/paiements/notification/"
    for operation in operations[:4]:
        assert client.post(notify, {"idOp": operation.idop}).status_code == 200
    [queued] = database_queue.all()  # one check takes the four
    assert queued.task_path == check_notified_operations.module_path
    # a db_worker starts it: the next notification may come too late for it
    database_queue.update(status="RUNNING")
    assert client.post(notify, {"idOp": operations[4].idop}).status_code == 200
    assert client.post(notify, {"idOp": operations[5].idop}).status_code == 200
    assert database_queue.count() == 2
    assert database_queue.filter(status="READY").count() == 1
