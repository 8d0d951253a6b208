"""BLOCK_ENROLMENT_WHEN_UNPAID: unpaid invoices of a past year stop the enrolment wizard at
its start, with what is owed and how to pay; what was typed is kept; agents still enrol
at the counter."""

import datetime
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone
from wagtail import hooks

from family_portal.billing.corrections import issue_credit_note
from family_portal.billing.models import Invoice
from family_portal.models import Enrolment
from family_portal.payments.models import Method
from family_portal.payments.services import record_payment, reverse_payment
from family_portal.reminders.hooks import DEBIT_HOOK
from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures, by name
    agent_client_fixture,
    agent_fixture,
    groups_fixture,
    text,
)
from tests.family_portal.test_wizard import Wizard, choose_children

from .conftest import make_invoice

pytestmark = pytest.mark.django_db

REFUSED = "Inscription impossible pour le moment"


def words(response) -> str:
    """The page's text as read, without its tags."""
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(soup.get_text(" ").split()).replace(" :", " :")


def last_year(month, day=1):
    return datetime.date(timezone.localdate().year - 1, month, day)


@pytest.fixture
def owing(commune, giraud_family, regie):
    """An invoice of last November, due on 1 December, unpaid."""
    return make_invoice(
        giraud_family,
        regie,
        7,
        total="38.20",
        month=last_year(11),
        issue_date=last_year(11, 30),
        due=last_year(12),
    )


@pytest.fixture
def wizard(client, canteen, giraud_family):
    client.force_login(giraud_family.users.get())
    return Wizard(client, canteen)


@pytest.fixture
def blocking(settings):
    settings.BLOCK_ENROLMENT_WHEN_UNPAID = True


def test_off_by_default_the_wizard_opens(wizard, owing):
    page = text(wizard.start())
    assert REFUSED not in page
    assert "Enfants et période" in page


def test_on_the_wizard_refuses_at_its_start(wizard, owing, blocking):
    for url in (wizard.url(), wizard.url("enfants"), wizard.url("tarif")):
        response = wizard.client.get(url)
        assert response.status_code == 200
        page = words(response)
        assert REFUSED in page
        assert "Une facture des années passées reste à payer : 38,20 € au total" in page
        assert "n° ENF-" in page and owing.number in page
        assert reverse("family_portal:billing:list") in text(response)
        assert reverse("family_portal:billing:detail", args=[owing.pk]) in text(
            response
        )
        assert "Payer en ligne" in page
        assert "du lundi au vendredi, 8 h 30 – 12 h" in page  # the counter's hours
    assert not Enrolment.objects.exists()


def test_what_is_left_of_several_invoices(
    wizard, owing, blocking, giraud_family, regie
):
    owing.paid_amount = Decimal("8.20")
    owing.save()
    make_invoice(
        giraud_family, regie, 8, total="10.00", month=last_year(10), due=last_year(11)
    )
    page = words(wizard.client.get(wizard.url("enfants")))
    assert "2 factures des années passées restent à payer : 40,00 € au total" in page


def test_this_year_invoices_do_not_block(wizard, owing, blocking, giraud_family, regie):
    owing.delete()
    today = timezone.localdate()
    # Overdue, but of this year.
    make_invoice(
        giraud_family,
        regie,
        9,
        month=today.replace(month=1, day=1),
        issue_date=today.replace(month=1, day=5),
        due=today.replace(month=2, day=1),
    )
    # Of last December, not yet due.
    make_invoice(
        giraud_family,
        regie,
        10,
        month=last_year(12),
        issue_date=today - datetime.timedelta(days=2),
        due=today + datetime.timedelta(days=28),
    )
    assert REFUSED not in text(wizard.client.get(wizard.url("enfants")))


def test_paid_credited_covered_or_under_debit_do_not_block(
    wizard,
    owing,
    blocking,
    giraud_family,
    regie,
):
    url = wizard.url("enfants")
    assert REFUSED in text(wizard.client.get(url))
    with hooks.register_temporarily(DEBIT_HOOK, lambda invoices: {owing.pk}):
        assert REFUSED not in text(wizard.client.get(url))
    Invoice.objects.filter(pk=owing.pk).update(paid_amount=Decimal("38.20"))
    assert REFUSED not in text(wizard.client.get(url))
    # Unpaid again, but the family holds a credit at the régie that covers it.
    Invoice.objects.filter(pk=owing.pk).update(paid_amount=0)
    payment = record_payment(
        giraud_family,
        "40.00",
        Method.CASH,
        received_on=last_year(3),
        recorded_by=None,
        invoices=[],
        regie=regie,
    )
    assert REFUSED not in text(wizard.client.get(url))
    reverse_payment(payment, reason="Saisie en double", by=None)
    assert REFUSED in text(wizard.client.get(url))
    issue_credit_note(owing, Decimal("38.20"), "Erreur", user=None)
    assert REFUSED not in text(wizard.client.get(url))


def test_nothing_typed_is_lost(wizard, owing, settings, giraud_family, canteen):
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    settings.BLOCK_ENROLMENT_WHEN_UNPAID = True
    # A page opened before: its answer is refused, and kept.
    response = wizard.post("quotient", {"source": "document"})
    assert REFUSED in text(response)
    assert REFUSED in text(wizard.client.get(wizard.url("quotient")))
    Invoice.objects.filter(pk=owing.pk).update(paid_amount=owing.total)
    html = wizard.client.get(wizard.url("enfants")).content.decode()
    assert REFUSED not in html
    for child in giraud_family.children.all():
        assert f'value="{child.pk}" id="id_enfants-children_' in html
    html = wizard.client.get(wizard.url("quotient")).content.decode()
    assert 'value="document"' in html and "checked" in html


def test_agents_still_enrol_at_the_counter(
    agent_client,
    owing,
    blocking,
    canteen,
    giraud_family,
):
    url = reverse("family_backoffice:counter_enrol", args=[giraud_family.pk])
    lea = giraud_family.children.get(first_name="Léa")
    data = {
        "children": [lea.pk],
        "period": canteen.periods.get().pk,
        "qf_source": "none",
        "confirm": "1",
    }
    assert agent_client.post(url, data).status_code == 302
    assert Enrolment.objects.get().child == lea
