"""A family, an invoice of a régie open to PayFiP, and our fake PayFiP over real HTTP."""

import datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from family_portal.billing.models import Invoice, Regie
from family_portal.payments.fakepayfip.testing import (
    FakePayFiPControl,
    running_fake_payfip,
)
from tests.factories import UserFactory
from tests.family_portal.factories import FamilyFactory


@pytest.fixture
def payfip(settings):
    with running_fake_payfip() as server:
        settings.PAYFIP_WSDL_URL = server.base_url + "/tpa/services/securite?wsdl"
        settings.PAYFIP_PAYMENT_URL = server.base_url + "/tpa/paiementws.web"
        yield FakePayFiPControl(server.base_url)


@pytest.fixture
def parent(db):
    return UserFactory(email="parent.giraud@example.org")


@pytest.fixture
def invoice(parent):
    family = FamilyFactory(users=[parent])
    regie = Regie.objects.create(
        name="Régie enfance", code="ENF", payfip_client_number="123456"
    )
    return Invoice.objects.create(
        regie=regie,
        family=family,
        number="ENF-2026-000042",
        issue_date=datetime.date(2026, 11, 3),
        due_date=datetime.date(2026, 11, 30),
        total=Decimal("42.50"),
    )


def another_invoice(invoice, number):
    """One more unpaid invoice of the same family and régie."""
    return Invoice.objects.create(
        regie=invoice.regie,
        family=invoice.family,
        number=f"ENF-2026-{100 + number:06d}",
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        total=invoice.total,
    )


class Parent:
    """The parent's browser: the Django test client, posing as the live server's host
    so that the URLs given to PayFiP (urlnotif, urlredirect) reach the live server."""

    def __init__(self, client, live_server, payfip):
        self.client = client
        self.host = urlsplit(live_server.url).netloc
        self.payfip = payfip

    def start(self, invoice):
        """Click "Payer en ligne"; the idOp of the payment page it was sent to."""
        response = self.client.post(
            f"/espace-famille/paiements/facture/{invoice.pk}/payer-en-ligne/",
            HTTP_HOST=self.host,
        )
        assert response.status_code == 302, response
        url = response["Location"]
        assert url.startswith(self.payfip.base_url + "/tpa/paiementws.web?idop=")
        return url.rsplit("=", 1)[1]

    def pay(self, invoice, choice):
        """Start, then click ``choice`` on the payment page; the return URL."""
        idop = self.start(invoice)
        return idop, self.payfip.choose(idop, choice)

    def come_back(self, url):
        path = url.split(self.host, 1)[1]
        return self.client.get(path, HTTP_HOST=self.host)


@pytest.fixture
def browser(client, live_server, payfip, parent):
    client.force_login(parent)
    return Parent(client, live_server, payfip)
