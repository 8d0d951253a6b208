"""A family with a parent account, the "Régie enfance", invoices, a signed mandate and
the back-office agents."""

import datetime
from decimal import Decimal

import pytest

from family_portal.billing.models import Invoice, Regie
from family_portal.directdebit import mandates
from tests.factories import UserFactory
from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures, by name
    agent_client_fixture,
    agent_fixture,
    groups_fixture,
)
from tests.family_portal.factories import FamilyFactory, GuardianFactory

IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "DE89370400440532013000"
TODAY = datetime.date(2026, 12, 1)


@pytest.fixture
def parent(db):
    return UserFactory(username="anne", email="anne.giraud@example.org")


@pytest.fixture
def family(parent):
    family = FamilyFactory(
        name="Famille Giraud",
        street="3 rue des Lilas",
        postcode="24750",
        city="Champcevinel",
        users=[parent],
    )
    GuardianFactory(family=family, birth_name="Giraud", first_name="Anne")
    return family


@pytest.fixture
def regie(db):
    return Regie.objects.create(name="Régie enfance", code="ENF")


def make_invoice(family, regie, number, *, issued, due, total="42.50", month=None):
    return Invoice.objects.create(
        regie=regie,
        family=family,
        number=number,
        month=month or issued.replace(day=1),
        issue_date=issued,
        due_date=due,
        total=Decimal(total),
    )


def sign(family, user, iban=IBAN, signed_on=TODAY, **fields):
    now = datetime.datetime.combine(signed_on, datetime.time(10), tzinfo=datetime.UTC)
    return mandates.sign(
        family,
        user=user,
        holder_name=fields.get("holder_name", "Anne Giraud"),
        street="3 rue des Lilas",
        postcode="24750",
        city="Champcevinel",
        iban=iban,
        now=now,
    )


@pytest.fixture
def mandate(family, parent):
    return sign(family, parent, signed_on=datetime.date(2026, 10, 1))
