"""The reminders sent, on the invoice's page: the parent's and the agent's."""

import pytest
from django.urls import reverse

from family_portal.reminders.services import send_reminders
from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures, by name
    agent_client_fixture,
    agent_fixture,
    groups_fixture,
    text,
)

from .conftest import at, day

pytestmark = pytest.mark.django_db


def test_the_parent_sees_the_reminders_sent(client, invoice, parent):
    client.force_login(parent)
    url = reverse("family_portal:billing:detail", args=[invoice.pk])
    page = text(client.get(url))
    assert "Relances" not in page
    assert "En retard" in page or "en retard" in page.lower()
    send_reminders(at(day(15)))
    send_reminders(at(day(30)))
    page = text(client.get(url))
    assert '<h2 id="reminders-heading">Relances</h2>' in page
    assert (
        "Première relance le 16 octobre 2026 : 42,50 € restaient à payer ; envoyée "
        "par courriel à parent.giraud@example.org." in page
    )
    assert "Deuxième relance le 31 octobre 2026" in page


def test_without_address_the_page_says_it_was_not_sent(client, invoice, parent):
    parent.email = ""
    parent.save()
    send_reminders(at(day(15)))
    client.force_login(parent)
    page = text(client.get(reverse("family_portal:billing:detail", args=[invoice.pk])))
    assert "pas envoyée, faute d'adresse électronique connue" in page


def test_the_agent_sees_them_too(agent_client, invoice):
    send_reminders(at(day(15)))
    page = text(
        agent_client.get(reverse("billing_admin:invoice_detail", args=[invoice.pk]))
    )
    assert "Première relance le 16 octobre 2026" in page
