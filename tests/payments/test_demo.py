"""The demo's payments: the demo parent's invoice partly paid at the counter with its
receipt (the rest to pay online), another family's advance kept as credit; loading the
demo again records nothing twice."""

import datetime
from decimal import Decimal

import pytest
from wagtail.models import Site

from activities.demo import load_demo_activities
from family_portal.backoffice.demo import load_backoffice_demo
from family_portal.billing.demo import load_billing_demo
from family_portal.demo import load_demo_family
from family_portal.payments.demo import REGISSEURS_GROUP, load_payments_demo
from family_portal.payments.models import Payment
from family_portal.payments.services import credit_of
from home.demo import load_demo
from home.models import CommuneSettings

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_partial_counter_payment_and_a_credit(
    root_page, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_LAY_OUT_ON_ISSUE = False
    today = datetime.date(datetime.date.today().year, 12, 5)
    home = load_demo()
    load_demo_activities(home, today=today)
    commune = CommuneSettings.for_site(Site.objects.get(root_page=home))
    load_demo_family(commune)
    load_backoffice_demo(commune)
    with django_capture_on_commit_callbacks(execute=False):
        invoice = load_billing_demo(commune, today=today)
    load_payments_demo()
    load_payments_demo()  # again: nothing twice
    partial = Payment.objects.get(family=invoice.family)
    invoice.refresh_from_db()
    assert partial.method == "cash" and partial.receipt_number
    assert invoice.paid_amount == partial.amount == Decimal("10.00")
    assert invoice.status() == "partly_paid" and invoice.outstanding() > 0
    advance = Payment.objects.exclude(family=invoice.family).get()
    assert (advance.family.name, advance.method) == ("Famille Martin", "transfer")
    assert credit_of(advance.family) == advance.amount
    assert partial.recorded_by.groups.filter(name=REGISSEURS_GROUP).exists()
    assert partial.recorded_by.has_perm("payments.record_counter_payment")
