"""A family's credit pays its next invoice as soon as the billing run issues it."""

from decimal import Decimal

import pytest
from django.utils import timezone

from family_portal.billing import tasks
from family_portal.billing.models import Invoice
from family_portal.payments.models import Allocation, Method
from family_portal.payments.services import credit_of, record_payment
from tests.billing.conftest import after, booked, regie, rules, september  # noqa: F401 - fixtures
from tests.bookings.conftest import (  # noqa: F401 - fixtures, by name
    enrolments,
    lunch,
    parent,
    schedule,
)
from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures
    agent_fixture,
    commune_fixture,
    groups_fixture,
)
from tests.family_portal.conftest import canteen, giraud_family  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pdfs(settings):
    settings.BILLING_LAY_OUT_ON_ISSUE = False


def test_the_run_uses_the_familys_credit_on_its_new_invoice(
    booked,  # noqa: F811
    regie,  # noqa: F811
    giraud_family,  # noqa: F811
    agent,
    django_capture_on_commit_callbacks,
):
    payment = record_payment(
        giraud_family,
        "15.00",
        Method.CASH,
        received_on=timezone.localdate(),
        recorded_by=agent,
        regie=regie,
    )
    assert credit_of(giraud_family, regie) == Decimal("15.00")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start(regie, september(), dry_run=False, today=after(september()))
    invoice = Invoice.objects.get(family=giraud_family)
    assert invoice.total > Decimal("15.00")
    assert invoice.paid_amount == Decimal("15.00")
    assert invoice.status() == "partly_paid"
    assert credit_of(giraud_family, regie) == 0
    use = Allocation.objects.get(invoice=invoice)
    assert (use.kind, use.payment) == ("credit_use", payment)
