"""The demo family has last month's invoice, and loading the demo again changes nothing."""

import datetime

import pytest

from activities.demo import load_demo_activities
from family_portal.billing.demo import load_billing_demo
from family_portal.billing.models import Invoice
from family_portal.demo import load_demo_family
from home.demo import load_demo

pytestmark = pytest.mark.django_db


def test_the_demo_family_has_last_months_invoice(
    root_page, settings, django_capture_on_commit_callbacks
):
    from wagtail.models import Site

    from home.models import CommuneSettings

    settings.BILLING_LAY_OUT_ON_ISSUE = False
    today = datetime.date(datetime.date.today().year, 12, 5)
    home = load_demo()
    load_demo_activities(home, today=today)
    commune = CommuneSettings.for_site(Site.objects.get(root_page=home))
    load_demo_family(commune)
    with django_capture_on_commit_callbacks(execute=False):
        invoice = load_billing_demo(commune, today=today)
    assert invoice is not None and invoice.family.name == "Famille Giraud"
    assert invoice.month == datetime.date(today.year, 11, 1)
    assert invoice.total > 0 and invoice.lines.exists()
    with django_capture_on_commit_callbacks(execute=False):
        again = load_billing_demo(commune, today=today)
    assert again == invoice and Invoice.objects.count() == 1
