"""Fixtures of the family-portal tests: a family, an activity, the fake API on loopback."""

import datetime

import pytest

from activities.services import import_document
from qf_connector.fakeapi.cases import DEMO_ALLOCATAIRE
from qf_connector.fakeapi.testing import (
    DEFAULT_TOKEN,
    TEST_RECIPIENT,
    FakeApiControl,
    fake_api_server,
)
from qf_connector.services import reset_client
from tests.activities.examples import EXAMPLES_DIR, example_document
from tests.activities.factories import ActivityIndexPageFactory, ActivityPageFactory
from tests.dates import born, in_force
from tests.franceconnect.support import fc_provider, franceconnect  # noqa: F401

from .factories import ChildFactory, FamilyFactory, GuardianFactory


@pytest.fixture(scope="session")
def fake_api():
    with fake_api_server() as server:
        yield server


@pytest.fixture
def api_particulier(fake_api, settings):
    """The portal's client pointed at the fake API, reset around the test."""
    control = FakeApiControl(fake_api.base_url)
    control.reset()
    settings.API_PARTICULIER_URL = fake_api.base_url
    settings.API_PARTICULIER_TOKEN = DEFAULT_TOKEN
    settings.API_PARTICULIER_RECIPIENT = TEST_RECIPIENT
    settings.API_PARTICULIER_TOTAL_TIMEOUT = 5.0
    reset_client()
    yield control
    reset_client()
    control.reset()


@pytest.fixture
def canteen(home_page):
    """The canteen, priced by Champcevinel's grid in force this school year (QF 1200 →
    3,40 €, no QF → 3,50 €)."""
    version, _ = import_document(
        in_force(example_document(EXAMPLES_DIR / "champcevinel-restauration.json"))
    )
    index = ActivityIndexPageFactory(parent=home_page, slug="activites")
    return ActivityPageFactory(
        parent=index,
        title="Restauration scolaire",
        slug="restauration",
        category="restauration",
        baremes=[version.bareme],
    )


@pytest.fixture
def giraud_family(db):
    """The family of the demo identity: the fake API knows Anne Giraud (QF 1200)."""
    family = FamilyFactory(name="Famille Giraud")
    GuardianFactory(
        family=family,
        birth_name=DEMO_ALLOCATAIRE["birth_name"].title(),
        first_name=DEMO_ALLOCATAIRE["first_names"][0].title(),
        sex=DEMO_ALLOCATAIRE["sex"],
        birth_date=datetime.date.fromisoformat(DEMO_ALLOCATAIRE["birth_date"]),
        birth_commune_code=DEMO_ALLOCATAIRE["birth_commune"],
    )
    # Léa is 7 and Tom 6 when the school year starts (tests.dates).
    ChildFactory(family=family, first_name="Léa", birth_date=born(11, 25, age=7))
    ChildFactory(family=family, first_name="Tom", birth_date=born(3, 2, age=6))
    return family
