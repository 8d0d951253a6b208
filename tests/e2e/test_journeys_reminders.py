"""A parent on a phone sees the reminders on an invoice's page, and, when the commune
blocks enrolments while past years' invoices are unpaid, the wizard's refusal; axe finds
nothing on these pages."""

import datetime

from django.urls import reverse

from activities.models import ActivityPage
from family_portal.billing.models import Invoice
from family_portal.reminders.models import Reminder
from tests.e2e.conftest import MOBILE
from tests.e2e.test_journeys_billing import checks, demo_invoice
from tests.e2e.test_journeys_parent import sign_in


def test_reminders_and_the_enrolment_refusal(live_server, page, demo_commune, settings):
    invoice = demo_invoice()
    year = datetime.date.today().year - 1
    Invoice.objects.filter(pk=invoice.pk).update(
        month=datetime.date(year, 11, 1),
        issue_date=datetime.date(year, 11, 30),
        due_date=datetime.date(year, 12, 30),
        paid_amount=0,
    )
    Reminder.objects.create(
        invoice=invoice,
        level=1,
        recipients="parent@example.org",
        amount_due=invoice.total,
    )
    settings.BLOCK_ENROLMENT_WHEN_UNPAID = True
    page.set_viewport_size(MOBILE)
    page.goto(live_server.url + "/espace-famille/")
    sign_in(page)
    page.goto(
        live_server.url + reverse("family_portal:billing:detail", args=[invoice.pk])
    )
    assert page.get_by_role("heading", level=2, name="Relances").is_visible()
    checks(page)
    activity = ActivityPage.objects.get(slug="restauration-scolaire")
    page.goto(live_server.url + reverse("family_portal:enrol", args=[activity.pk]))
    assert page.get_by_role(
        "heading", level=2, name="Inscription impossible pour le moment"
    ).is_visible()
    assert page.get_by_role("link", name="Voir mes factures").is_visible()
    checks(page)
