"""A family with a parent's account, a régie open to PayFiP and invoices due on
1 October 2026 (so that the first reminder falls on 16 October, the second on
31 October with the default delays of 15 and 30 days)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from wagtail.models import Site

from family_portal.billing.models import Invoice, Regie
from home.models import CommuneSettings
from tests.factories import UserFactory
from tests.family_portal.conftest import (  # noqa: F401 - fixtures, by name
    canteen,
    giraud_family,
)
from tests.family_portal.factories import FamilyFactory

PARIS = ZoneInfo("Europe/Paris")
DUE = datetime.date(2026, 10, 1)


def at(day: datetime.date, hour=9, minute=15):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def day(offset: int) -> datetime.date:
    """The due date plus ``offset`` days."""
    return DUE + datetime.timedelta(days=offset)


@pytest.fixture(autouse=True)
def delays(settings):
    settings.PAYMENT_REMINDER_FIRST_DAYS = 15
    settings.PAYMENT_REMINDER_SECOND_DAYS = 30
    settings.BLOCK_ENROLMENT_WHEN_UNPAID = False


@pytest.fixture
def commune(home_page):
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    commune.name = "Ville de Test"
    commune.phone = "01 23 45 67 89"
    commune.opening_hours = (
        "Mairie, guichet famille : du lundi au vendredi, 8 h 30 – 12 h"
    )
    commune.save()
    return commune


@pytest.fixture
def parent(db):
    return UserFactory(email="parent.giraud@example.org")


@pytest.fixture
def family(parent):
    return FamilyFactory(name="Famille Giraud", users=[parent])


@pytest.fixture
def regie(db):
    return Regie.objects.create(
        name="Régie enfance", code="ENF", payfip_client_number="123456"
    )


def make_invoice(family, regie, number=1, *, total="42.50", due=DUE, **fields):
    issue = fields.pop("issue_date", (due or DUE) - datetime.timedelta(days=30))
    return Invoice.objects.create(
        regie=regie,
        family=family,
        number=f"ENF-{issue.year}-{number:06d}",
        month=fields.pop("month", None),
        issue_date=issue,
        due_date=due,
        total=Decimal(total),
        **fields,
    )


@pytest.fixture
def invoice(commune, family, regie):
    return make_invoice(family, regie)
