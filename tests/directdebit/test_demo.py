"""The demo parent has a mandate, and the agents can export its invoice; loading the demo
again changes nothing."""

import pytest
from django.utils import timezone
from wagtail.models import Site

from activities.demo import load_demo_activities
from family_portal.billing.demo import load_billing_demo
from family_portal.demo import load_demo_family
from family_portal.directdebit import export
from family_portal.directdebit.demo import DEMO_IBAN, load_direct_debit_demo
from family_portal.directdebit.models import Mandate
from home.demo import load_demo
from home.models import CommuneSettings

pytestmark = pytest.mark.django_db


def test_the_demo_parent_has_a_mandate_and_agents_can_export(
    root_page, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_LAY_OUT_ON_ISSUE = False
    today = timezone.localdate()
    home = load_demo()
    load_demo_activities(home, today=today)
    commune = CommuneSettings.for_site(Site.objects.get(root_page=home))
    load_demo_family(commune)
    with django_capture_on_commit_callbacks(execute=False):
        invoice = load_billing_demo(commune, today=today)
    mandate = load_direct_debit_demo()
    assert mandate.is_active and mandate.iban == DEMO_IBAN
    assert mandate.family.name == "Famille Giraud"
    assert load_direct_debit_demo() == mandate and Mandate.objects.count() == 1
    if invoice is not None:  # no canteen invoice for July and August
        chosen = [c for c in export.candidates(today) if c.included]
        assert [c.invoice for c in chosen] == [invoice]
        batch = export.export(None, today=today)
        assert batch.count == 1 and batch.lines.get().sequence == "FRST"
