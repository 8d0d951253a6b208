"""Money received, spread over invoices, kept as credit, used later, cancelled: an
invoice's paid amount is always the sum of its allocations, and a payment's
allocations always add up to its amount (0 once reversed)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from family_portal.billing.models import Invoice, Regie
from family_portal.payments.models import Allocation, Method, Payment
from family_portal.payments.services import (
    BalanceChanged,
    PaymentRefused,
    credit_of,
    paid_between,
    record_payment,
    reverse_payment,
    use_credit,
)
from tests.factories import UserFactory
from tests.family_portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def regie(db):
    return Regie.objects.create(name="Régie enfance", code="ENF")


@pytest.fixture
def family(db):
    return FamilyFactory()


@pytest.fixture
def agent(db):
    return UserFactory(username="agent.guichet")


def make_invoice(regie, family, total, n, issue_date=None):
    return Invoice.objects.create(
        regie=regie,
        family=family,
        number=f"{regie.code}-2026-{n:06d}",
        month=datetime.date(2026, n % 12 + 1, 1),
        issue_date=issue_date or datetime.date(2026, 1, 1) + datetime.timedelta(n),
        total=D(total),
    )


def paid(invoice):
    return Invoice.objects.get(pk=invoice.pk).paid_amount


def assert_books_balance():
    for invoice in Invoice.objects.all():
        rows = invoice.allocations.aggregate(total=Sum("amount"))["total"] or 0
        assert invoice.paid_amount == rows, invoice
        assert 0 <= invoice.paid_amount <= invoice.total
    for payment in Payment.objects.all():
        rows = payment.allocations.aggregate(total=Sum("amount"))["total"] or 0
        assert rows == (0 if payment.is_reversed else payment.amount), payment
        credit = payment.allocations.filter(invoice=None).aggregate(t=Sum("amount"))
        assert (credit["t"] or 0) >= 0


def test_one_payment_spreads_over_invoices_oldest_first_then_credit(
    regie, family, agent
):
    older = make_invoice(regie, family, "30.00", 1)
    newer = make_invoice(regie, family, "20.00", 2)
    payment = record_payment(
        family,
        "65.00",
        Method.CASH,
        received_on=DAY,
        recorded_by=agent,
    )
    assert (paid(older), paid(newer)) == (D("30.00"), D("20.00"))
    assert credit_of(family, regie) == D("15.00")
    kinds = list(payment.allocations.values_list("kind", "invoice_id", "amount"))
    assert kinds == [
        ("allocation", older.pk, D("30.00")),
        ("allocation", newer.pk, D("20.00")),
        ("credit", None, D("15.00")),
    ]
    assert payment.regie == regie
    assert payment.receipt_number == f"REC-ENF-{timezone.localdate().year}-000001"
    assert_books_balance()


def test_the_invoices_given_are_paid_in_the_order_given(regie, family, agent):
    older = make_invoice(regie, family, "30.00", 1)
    newer = make_invoice(regie, family, "20.00", 2)
    record_payment(
        family,
        "25.00",
        Method.CHEQUE,
        received_on=DAY,
        recorded_by=agent,
        invoices=[newer, older],
        reference="1234567",
        bank="Banque postale",
    )
    assert (paid(newer), paid(older)) == (D("20.00"), D("5.00"))
    assert Invoice.objects.get(pk=older.pk).status() == "partly_paid"
    assert Invoice.objects.get(pk=newer.pk).status() == "paid"
    assert credit_of(family) == 0
    assert_books_balance()


def test_a_partial_payment_leaves_the_rest_to_pay(regie, family, agent):
    invoice = make_invoice(regie, family, "42.50", 1)
    record_payment(family, "10", Method.CESU, received_on=DAY, recorded_by=agent)
    invoice.refresh_from_db()
    assert invoice.outstanding() == D("32.50")
    assert invoice.status() == "partly_paid"
    assert_books_balance()


def test_credit_pays_the_next_invoice_and_is_traced_to_its_payment(
    regie, family, agent
):
    first = make_invoice(regie, family, "30.00", 1)
    payment = record_payment(
        family, "50.00", Method.TRANSFER, received_on=DAY, recorded_by=agent
    )
    assert paid(first) == D("30.00") and credit_of(family, regie) == D("20.00")
    later = make_invoice(regie, family, "12.00", 2)
    assert use_credit(family, regie=regie, by=agent) == D("12.00")
    assert paid(later) == D("12.00")
    assert credit_of(family, regie) == D("8.00")
    use = later.allocations.get()
    assert (use.kind, use.payment, use.created_by) == ("credit_use", payment, agent)
    assert payment.allocations.filter(kind="credit_use", invoice=None).get().amount == (
        D("-12.00")
    )
    assert_books_balance()


def test_credit_never_pays_another_regies_invoice(regie, family, agent):
    make_invoice(regie, family, "10.00", 1)
    record_payment(family, "30.00", Method.CASH, received_on=DAY, recorded_by=agent)
    other = Regie.objects.create(name="Conservatoire", code="CRD")
    theirs = make_invoice(other, family, "15.00", 2)
    assert use_credit(family, regie=other, by=agent) == 0
    assert paid(theirs) == 0
    with pytest.raises(PaymentRefused):
        use_credit(family, regie=regie, invoices=[theirs], by=agent)


def test_a_family_never_pays_another_familys_invoice(regie, family, agent):
    theirs = make_invoice(regie, FamilyFactory(), "10.00", 1)
    with pytest.raises(PaymentRefused):
        record_payment(
            family,
            "10",
            Method.CASH,
            received_on=DAY,
            recorded_by=agent,
            invoices=[theirs],
        )
    assert not Payment.objects.exists() and paid(theirs) == 0


def test_reversal_reopens_invoices_and_takes_back_used_credit(regie, family, agent):
    first = make_invoice(regie, family, "30.00", 1)
    payment = record_payment(
        family, "50.00", Method.CASH, received_on=DAY, recorded_by=agent
    )
    later = make_invoice(regie, family, "12.00", 2)
    use_credit(family, regie=regie, by=agent)
    boss = UserFactory(username="regisseur")
    reverse_payment(payment, reason="Saisi sur la mauvaise famille", by=boss)
    payment.refresh_from_db()
    assert (paid(first), paid(later), credit_of(family)) == (0, 0, 0)
    assert payment.is_reversed and payment.reversed_by == boss
    assert payment.reversal_reason == "Saisi sur la mauvaise famille"
    assert payment.receipt_number  # kept: the receipt was given, and is now void
    mirrors = payment.allocations.filter(kind="reversal")
    assert mirrors.count() == payment.allocations.exclude(kind="reversal").count()
    assert_books_balance()
    with pytest.raises(PaymentRefused, match="déjà annulé"):
        reverse_payment(payment, reason="encore", by=boss)


def test_a_reversal_needs_a_reason(regie, family, agent):
    make_invoice(regie, family, "30.00", 1)
    payment = record_payment(
        family, "30.00", Method.CASH, received_on=DAY, recorded_by=agent
    )
    with pytest.raises(PaymentRefused, match="motif"):
        reverse_payment(payment, reason="  ", by=agent)
    assert not Payment.objects.get(pk=payment.pk).is_reversed


def test_receipt_numbers_are_gapless_per_regie_and_year(regie, family, agent):
    other = Regie.objects.create(name="Conservatoire", code="CRD")
    numbers = []
    for where in [regie, other, regie, regie]:
        numbers.append(
            record_payment(
                family,
                "5",
                Method.CASH,
                received_on=DAY,
                recorded_by=agent,
                regie=where,
                invoices=[],
            ).receipt_number
        )
    # A refused payment (bad invoice) rolls its number back: no gap.
    with pytest.raises(PaymentRefused):
        record_payment(
            family,
            "5",
            Method.CASH,
            received_on=DAY,
            recorded_by=agent,
            regie=regie,
            invoices=[make_invoice(other, family, "1", 9)],
        )
    numbers.append(
        record_payment(
            family,
            "5",
            Method.ANCV,
            received_on=DAY,
            recorded_by=agent,
            regie=regie,
            invoices=[],
        ).receipt_number
    )
    year = timezone.localdate().year  # the year the receipt is given
    assert numbers == [
        f"REC-ENF-{year}-000001",
        f"REC-CRD-{year}-000001",
        f"REC-ENF-{year}-000002",
        f"REC-ENF-{year}-000003",
        f"REC-ENF-{year}-000004",
    ]


def test_someone_elses_payment_meanwhile_is_refused_when_asked(regie, family, agent):
    invoice = make_invoice(regie, family, "40.00", 1)
    seen = {invoice.pk: invoice.outstanding()}
    record_payment(family, "40", Method.CASH, received_on=DAY, recorded_by=agent)
    with pytest.raises(BalanceChanged, match="a changé"):
        record_payment(
            family,
            "40",
            Method.CASH,
            received_on=DAY,
            recorded_by=agent,
            invoices=[invoice],
            expected_outstanding=seen,
        )
    assert Payment.objects.count() == 1 and paid(invoice) == D("40.00")


@pytest.mark.parametrize(
    "amount, method, fields, message",
    [
        ("0", Method.CASH, {}, "supérieur à zéro"),
        ("-3", Method.CASH, {}, "supérieur à zéro"),
        ("abc", Method.CASH, {}, "illisible"),
        ("10", Method.CHEQUE, {}, "numéro du chèque"),
        ("10", Method.ONLINE, {}, "PayFiP"),
        ("10", "bitcoin", {}, "inconnu"),
    ],
)
def test_bad_input_is_refused_in_french(
    regie, family, agent, amount, method, fields, message
):
    make_invoice(regie, family, "10.00", 1)
    with pytest.raises(PaymentRefused, match=message):
        record_payment(
            family, amount, method, received_on=DAY, recorded_by=agent, **fields
        )
    assert not Payment.objects.exists()


def test_the_database_refuses_an_invoice_paid_beyond_its_amount(regie, family):
    invoice = make_invoice(regie, family, "10.00", 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(paid_amount=D("10.01"))


def test_the_database_refuses_allocations_that_make_no_sense(regie, family, agent):
    invoice = make_invoice(regie, family, "10.00", 1)
    payment = record_payment(
        family, "10", Method.CASH, received_on=DAY, recorded_by=agent
    )
    for wrong in (
        {"kind": "allocation", "invoice": None, "amount": D("1")},
        {"kind": "allocation", "invoice": invoice, "amount": D("-1")},
        {"kind": "credit", "invoice": invoice, "amount": D("1")},
        {"kind": "credit_use", "invoice": None, "amount": D("1")},
        {"kind": "reversal", "invoice": invoice, "amount": D("-1")},
        {"kind": "allocation", "invoice": invoice, "amount": D("0")},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Allocation.objects.create(payment=payment, on=DAY, **wrong)


def test_paid_between_counts_by_the_day_the_money_paid(regie, family, agent):
    december = make_invoice(regie, family, "30.00", 1)
    january = make_invoice(regie, family, "25.00", 2)
    record_payment(
        family,
        "40.00",
        Method.CASH,
        received_on=datetime.date(2025, 12, 15),
        recorded_by=agent,
        invoices=[december],
    )
    record_payment(
        family,
        "5.00",
        Method.CASH,
        received_on=datetime.date(2026, 2, 1),
        recorded_by=agent,
        invoices=[january],
    )
    mistake = record_payment(
        family,
        "3.00",
        Method.CASH,
        received_on=datetime.date(2026, 2, 2),
        recorded_by=agent,
        invoices=[january],
    )
    reverse_payment(mistake, reason="doublon", by=agent)
    in_2025 = paid_between(
        [december.pk, january.pk],
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
    )
    in_2026 = paid_between(
        [december.pk, january.pk],
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
    )
    assert in_2025 == {december.pk: D("30.00"), january.pk: D("0.00")}
    assert in_2026 == {december.pk: D("0.00"), january.pk: D("5.00")}


def test_an_online_payment_cannot_be_reversed_here(regie, family):
    from family_portal.payments.models import PaymentOperation

    invoice = make_invoice(regie, family, "10.00", 1)
    operation = PaymentOperation.objects.create(
        invoice=invoice, idop="X1", refdet="F1ABC", amount_cents=1000, email="a@b.fr"
    )
    payment = record_payment(
        family,
        "10",
        Method.ONLINE,
        received_on=DAY,
        recorded_by=None,
        invoices=[invoice],
        operation=operation,
    )
    assert payment.receipt_number == ""  # PayFiP gives its own ticket
    with pytest.raises(PaymentRefused, match="comptable"):
        reverse_payment(payment, reason="erreur", by=None)
