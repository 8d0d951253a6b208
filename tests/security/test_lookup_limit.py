"""A parent's account cannot use the portal as an oracle on other people's CAF files:
past QF_LOOKUPS_PER_ACCOUNT lookups answered in 24 hours, the wizard asks CAF and MSA
nothing more and offers a document or the default price instead."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from qf_connector.models import ApiCallLog
from qf_connector.services import reset_client
from tests.factories import UserFactory
from tests.family_portal.factories import ChildFactory, FamilyFactory, GuardianFactory
from tests.family_portal.test_wizard import Wizard, choose_children, identity_data

pytestmark = pytest.mark.django_db

LIMIT_MESSAGE = "Vous avez atteint le nombre de demandes"


@pytest.fixture
def at_identity_step(client, canteen, giraud_family, api_particulier, settings):
    settings.QF_LOOKUPS_PER_ACCOUNT = 3
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    wizard.post("quotient", {"source": "api"})
    return wizard


def ask(wizard, family, birth_name):
    data = identity_data(family) | {"birth_name": birth_name}
    return wizard.post("caf-msa", data).content.decode()


def test_the_default_limit():
    assert django_settings.QF_LOOKUPS_PER_ACCOUNT == 5


def test_past_the_limit_nothing_more_is_asked(
    at_identity_step, giraud_family, api_particulier
):
    for name in ("Martin", "Bernard", "Petit"):  # three people, none of them known
        assert "Aucun dossier CAF ou MSA" in ask(at_identity_step, giraud_family, name)
    calls = ApiCallLog.objects.count()
    api_particulier.reset_stats()

    html = ask(at_identity_step, giraud_family, "Giraud")
    assert LIMIT_MESSAGE in html
    assert ApiCallLog.objects.count() == calls
    assert api_particulier.stats()["requests"] == 0  # nothing sent to the API
    # The parent can still go on: a document or the default price, not a provisional
    # enrolment (whose later retry would ask CAF all the same).
    assert 'value="document"' in html and 'value="none"' in html
    assert 'value="provisional"' not in html
    response = at_identity_step.post(
        "caf-msa", identity_data(giraud_family) | {"fallback": "document"}, follow=True
    )
    assert "Justificatif" in response.content.decode()


def test_an_unavailable_api_does_not_count(
    at_identity_step, giraud_family, api_particulier
):
    api_particulier.add_fault("status", status=503)
    for _ in range(4):
        assert "momentanément indisponible" in ask(
            at_identity_step, giraud_family, "Giraud"
        )
    api_particulier.clear_faults()
    reset_client()  # the client's circuit breaker opened meanwhile
    html = ask(at_identity_step, giraud_family, "Inconnudutout")
    assert "Aucun dossier CAF ou MSA" in html and LIMIT_MESSAGE not in html


def test_the_limit_is_per_account_and_per_day(
    client, at_identity_step, giraud_family, canteen
):
    for name in ("Martin", "Bernard", "Petit"):
        ask(at_identity_step, giraud_family, name)
    assert LIMIT_MESSAGE in ask(at_identity_step, giraud_family, "Durand")

    # Another parent is not affected.
    other_parent = UserFactory(username="autre-parent")
    other = FamilyFactory(name="Famille Autre", users=[other_parent])
    GuardianFactory(family=other, birth_name="Autre")
    ChildFactory(family=other, first_name="Zoé")
    client.force_login(other_parent)
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, other, canteen.periods.get())
    wizard.post("quotient", {"source": "api"})
    assert LIMIT_MESSAGE not in ask(wizard, other, "Autre")

    # A day later, the first parent may ask again.
    ApiCallLog.objects.update(
        started_at=timezone.now() - datetime.timedelta(hours=24, minutes=1)
    )
    client.force_login(giraud_family.users.get())
    html = ask(at_identity_step, giraud_family, "Giraud")
    assert LIMIT_MESSAGE not in html
