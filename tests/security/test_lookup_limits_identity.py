"""The QF lookup limits protect the person looked up, not only the account (issue 15,
point 2): a limit per identity whichever accounts ask, a limit per client address (read
as production sends it, through X-Forwarded-For), no choice the page did not offer (the
hidden "provisional" one), and no background job looking up an identity a limit refused.
The call log counts on keyed digests: never the identity or the address."""

import datetime

import pytest
from django.core.management import call_command
from wagtail.models import Site

from family_portal import enrolment
from family_portal.backoffice import refresh
from family_portal.models import Enrolment, QfRefreshOutcome
from family_portal.quotients import identity_of, retry_unavailable
from home.models import CommuneSettings
from qf_connector import limits
from qf_connector.errors import QuotientError
from qf_connector.identity import QfMonth
from qf_connector.models import ApiCallLog, LookupRefusal
from qf_connector.services import lookup_by_identity
from tests.factories import UserFactory
from tests.family_portal.factories import ChildFactory, FamilyFactory, GuardianFactory
from tests.family_portal.test_wizard import Wizard, choose_children, identity_data

pytestmark = pytest.mark.django_db

IDENTITY_LIMIT = "Cette personne a déjà fait"
ADDRESS_LIMIT = "Trop de demandes à la CAF ou à la MSA ont été faites depuis votre"
ACCOUNT_LIMIT = "Vous avez atteint le nombre de demandes"
NOT_OFFERED = "choisissez l&#x27;une des possibilités affichées"


def other_family(name):
    parent = UserFactory(username=f"parent-{name.lower()}")
    family = FamilyFactory(name=f"Famille {name}", users=[parent])
    GuardianFactory(family=family, birth_name=name, first_name="Paul", sex="M")
    ChildFactory(family=family, first_name="Zoé")
    return family


def at_identity_step(client, family, canteen):
    client.force_login(family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, family, canteen.periods.get())
    wizard.post("quotient", {"source": "api"})
    return wizard


def ask(wizard, data, **headers):
    payload = {f"{wizard.prefix}-current_step": "caf-msa"}
    payload.update({f"caf-msa-{key}": value for key, value in data.items()})
    response = wizard.client.post(wizard.url("caf-msa"), payload, headers=headers)
    return response.content.decode()


def test_a_second_account_gets_no_more_answers_for_a_person(
    client, canteen, giraud_family, api_particulier, settings
):
    settings.QF_LOOKUPS_PER_IDENTITY = 2
    giraud = identity_data(giraud_family)
    wizard = at_identity_step(client, giraud_family, canteen)
    for _ in range(2):
        assert IDENTITY_LIMIT not in ask(wizard, giraud)
    assert ApiCallLog.objects.filter(origin="wizard", error_kind="").count() == 2

    # Another account types Anne Giraud's civil status, spelt differently.
    stranger = other_family("Martin")
    wizard = at_identity_step(client, stranger, canteen)
    api_particulier.reset_stats()
    typed = giraud | {
        "guardian": stranger.guardians.get().pk,
        "birth_name": giraud["birth_name"].upper(),
        "first_names": giraud["first_names"].lower(),
    }
    html = ask(wizard, typed)
    assert IDENTITY_LIMIT in html
    assert api_particulier.stats()["requests"] == 0
    assert 'value="provisional"' not in html
    refusal = LookupRefusal.objects.get()
    assert refusal.reason == LookupRefusal.Reason.IDENTITY
    assert refusal.family_id == stranger.pk
    # The stranger's family did not take Anne Giraud's identity.
    assert stranger.guardians.get().birth_name == "Martin"

    # Digests only, the same for both spellings: no name, no date, no address.
    digest = limits.digest_of(identity_of(giraud_family.guardians.get()))
    assert set(ApiCallLog.objects.values_list("identity_digest", flat=True)) == {digest}
    assert refusal.identity_digest == digest
    stored = " ".join(
        str(value) for row in ApiCallLog.objects.values() for value in row.values()
    ) + " ".join(str(value) for value in LookupRefusal.objects.values().get().values())
    for clear in ("Giraud", "GIRAUD", "Anne", "1988", "127.0.0.1"):
        assert clear not in stored


def test_the_limit_per_client_address_behind_the_proxy(
    client, canteen, api_particulier, settings
):
    settings.QF_LOOKUPS_PER_ADDRESS = 2
    settings.TRUSTED_PROXY_COUNT = 1
    cafe = {"X-Forwarded-For": "198.51.100.7"}
    for name in ("Bernard", "Petit"):
        family = other_family(name)
        wizard = at_identity_step(client, family, canteen)
        assert "Aucun dossier CAF ou MSA" in ask(wizard, identity_data(family), **cafe)

    third = other_family("Durand")
    wizard = at_identity_step(client, third, canteen)
    api_particulier.reset_stats()
    assert ADDRESS_LIMIT in ask(wizard, identity_data(third), **cafe)
    assert api_particulier.stats()["requests"] == 0
    assert LookupRefusal.objects.get().reason == LookupRefusal.Reason.ADDRESS
    # The same account from elsewhere (the address the proxy saw, not a forged entry).
    elsewhere = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
    assert ADDRESS_LIMIT not in ask(wizard, identity_data(third), **elsewhere)


def test_past_the_limit_the_hidden_provisional_choice_is_refused(
    client, canteen, giraud_family, api_particulier, settings
):
    settings.QF_LOOKUPS_PER_ACCOUNT = 1
    wizard = at_identity_step(client, giraud_family, canteen)
    assert "Aucun dossier" in ask(
        wizard, identity_data(giraud_family) | {"birth_name": "Martin"}
    )
    stranger = identity_data(giraud_family) | {"birth_name": "Bernard"}
    html = ask(wizard, stranger)
    assert ACCOUNT_LIMIT in html and 'value="provisional"' not in html

    # The button the page did not show, posted anyway with the stranger's identity.
    html = ask(wizard, stranger | {"fallback": "provisional"})
    assert NOT_OFFERED in html
    assert giraud_family.guardians.get().birth_name == "Giraud"
    assert not Enrolment.objects.exists()

    # The offered ways still work.
    response = wizard.client.post(
        wizard.url("caf-msa"),
        {
            f"{wizard.prefix}-current_step": "caf-msa",
            **{f"caf-msa-{k}": v for k, v in (stranger | {"fallback": "none"}).items()},
        },
    )
    assert response.status_code == 302


def test_the_provisional_tariff_only_for_the_identity_that_could_not_be_checked(
    client, canteen, giraud_family, api_particulier
):
    api_particulier.add_fault("status", status=503)
    wizard = at_identity_step(client, giraud_family, canteen)
    giraud = identity_data(giraud_family)
    assert 'value="provisional"' in ask(wizard, giraud)

    # Another person typed, then "provisional": the retry would look them up uncounted.
    html = ask(wizard, giraud | {"birth_name": "Bernard", "fallback": "provisional"})
    assert "Le tarif provisoire n&#x27;est proposé que pour" in html
    assert giraud_family.guardians.get().birth_name == "Giraud"

    # "Continuer" with the parent's identity (still down), then the provisional tariff.
    assert 'value="provisional"' in ask(wizard, giraud)
    response = wizard.client.post(
        wizard.url("caf-msa"),
        {
            f"{wizard.prefix}-current_step": "caf-msa",
            **{
                f"caf-msa-{k}": v
                for k, v in (giraud | {"fallback": "provisional"}).items()
            },
        },
    )
    assert response.status_code == 302
    assert response["Location"] == wizard.url("tarif")

    # The back button shows the identity page again; going forward, the choice made
    # still holds at the confirmation.
    assert wizard.client.get(wizard.url("caf-msa")).status_code == 200
    wizard.post("tarif", {})
    wizard.post("confirmation", {"accept": "on"}, follow=True)
    assert set(Enrolment.objects.values_list("status", "qf_source")) == {
        (Enrolment.Status.QF_PENDING, Enrolment.QfSource.UNAVAILABLE)
    }
    assert giraud_family.guardians.get().birth_name == "Giraud"


@pytest.fixture
def refused_and_waiting(canteen, giraud_family):
    """Anne Giraud's family waits for its QF (the API was down), and a lookup limit
    refused her identity since."""
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    enrolment.confirm(
        giraud_family,
        commune,
        canteen.periods.get(),
        list(giraud_family.children.all()),
        enrolment.QfChoice(Enrolment.QfSource.UNAVAILABLE),
    )
    LookupRefusal.objects.create(
        identity_digest=limits.digest_of(identity_of(giraud_family.guardians.get())),
        reason=LookupRefusal.Reason.IDENTITY,
    )
    giraud_family.set_qf_refresh_consent(True, user=None)
    return commune


def test_no_background_job_looks_up_a_refused_identity(
    refused_and_waiting, giraud_family, api_particulier
):
    commune = refused_and_waiting
    api_particulier.reset_stats()

    summary = retry_unavailable(commune)
    assert summary.refused == 1 and summary.settled == []
    call_command("retry_quotients")

    today = datetime.date.today()
    giraud_family.qf_refresh_consent = True
    giraud_family.save()
    summary = refresh.run_campaign(commune, QfMonth(today.year, today.month))
    assert summary.processed == 1
    outcome = QfRefreshOutcome.objects.get(family=giraud_family)
    assert outcome.status == QfRefreshOutcome.Status.NO_IDENTITY
    assert outcome.error_kind == limits.REFUSED_IDENTITY

    # Whatever calls the service outside a request is refused before any call.
    with pytest.raises(QuotientError) as refused:
        lookup_by_identity(identity_of(giraud_family.guardians.get()), origin="retry")
    assert refused.value.reason == limits.REFUSED_IDENTITY

    assert api_particulier.stats()["requests"] == 0
    assert not ApiCallLog.objects.exists()
    assert set(Enrolment.objects.values_list("status", flat=True)) == {"qf_pending"}


def test_an_agent_may_still_refresh_a_refused_identity(
    refused_and_waiting, giraud_family, api_particulier
):
    record, changes = refresh.refresh_family(
        giraud_family, refused_and_waiting, user=None
    )
    assert record.value == 1200 and len(changes) == 2
