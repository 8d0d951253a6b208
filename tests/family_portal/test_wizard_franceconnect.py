"""The wizard's FranceConnect path, through real HTTP: the local FranceConnect signs the
parent in, the fake API Particulier answers its /france_connect route for the tokens the
local FranceConnect issued (it asks the local FranceConnect's userinfo who they are)."""

import logging
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from family_portal.franceconnect import session
from family_portal.franceconnect.mock.identities import LEROUX, MERCIER
from family_portal.models import Enrolment, QuotientRecord
from qf_connector.models import ApiCallLog
from tests.dates import born
from tests.factories import UserFactory
from tests.franceconnect.support import choose, come_back, sign_in, start

from .factories import ChildFactory, FamilyFactory, GuardianFactory
from .test_wizard import Wizard, choose_children

pytestmark = pytest.mark.django_db


@pytest.fixture
def fc_api(api_particulier, fake_api, fc_provider):
    """The fake API asks the local FranceConnect who a FranceConnect bearer is."""
    fake_api.api.france_connect_userinfo = f"{fc_provider.base_url}/userinfo"
    yield api_particulier
    fake_api.api.france_connect_userinfo = None


def linked_family(identity):
    """A family whose account is already linked to this FranceConnect person."""
    user = UserFactory(email=identity["email"])
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    family = FamilyFactory(
        name=f"Famille {identity['family_name'].title()}", users=[user]
    )
    GuardianFactory(
        family=family,
        birth_name=identity["family_name"],
        first_name=identity["given_name"].split()[0],
        sex="M" if identity["gender"] == "male" else "F",
        birth_date=identity["birthdate"],
        birth_commune_code=identity["birthplace"],
    )
    ChildFactory(family=family, first_name="Robert", birth_date=born(3, 15, age=7))
    ChildFactory(family=family, first_name="Henry", birth_date=born(6, 20, age=6))
    SocialAccount.objects.create(
        user=user, provider="franceconnect", uid=identity["sub"]
    )
    return family


def to_source_step(client, canteen, family):
    wizard = Wizard(client, canteen)
    wizard.start()
    page = choose_children(wizard, family, canteen.periods.get())
    return wizard, page.content.decode()


def test_known_parent_gets_the_qf_in_one_choice(
    client, canteen, fc_api, franceconnect, caplog
):
    family = linked_family(MERCIER)
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    pages = [sign_in(client, MERCIER)]
    data = dict(client.session[session.SESSION_KEY])
    wizard, html = to_source_step(client, canteen, family)
    pages.append(html)
    # Offered first, and chosen by default.
    first = html.index('value="franceconnect"')
    assert first < html.index('value="api"')
    assert "Utiliser mon identité FranceConnect" in html
    assert 'value="franceconnect"\n' in html or "checked" in html[first : first + 200]

    page = wizard.post("quotient", {"source": "franceconnect"}, follow=True)
    pages.append(page.content.decode())
    assert "Tarif" in pages[-1]
    record = QuotientRecord.objects.get(family=family)
    assert record.value == Decimal("2550") and record.provider == "CNAF"
    call = ApiCallLog.objects.get()
    assert call.endpoint.endswith("/france_connect") and call.http_status == 200
    assert call.family_id == family.pk and call.origin == "wizard"

    wizard.post("tarif", {}, follow=True)
    result = wizard.post("confirmation", {"accept": "on"}, follow=True)
    pages.append(result.content.decode())
    pages.append(client.get(reverse("family_portal:dashboard")).content.decode())
    enrolments = Enrolment.objects.all()
    assert enrolments.count() == 2
    for enrolment in enrolments:
        assert enrolment.qf_value == Decimal("2550")
        assert enrolment.qf_source == Enrolment.QfSource.API

    # Neither the tokens nor the pivot identity as FranceConnect sent it reach a page,
    # a log line or the call log.
    secrets_ = [data["access_token"], data["id_token"], MERCIER["sub"]]
    pivot = ["given_name_array", "birthplace", "1969-03-17", MERCIER["email"]]
    for page in pages:
        text = page if isinstance(page, str) else page.content.decode()
        for value in secrets_ + ["given_name_array", "birthplace"]:
            assert value not in text
    logged = "\n".join(
        record.getMessage() + repr(record.args) + repr(record.__dict__)
        for record in caplog.records
    )
    for value in secrets_ + pivot + ["MERCIER", "Mercier"]:
        assert value not in logged, [
            r.name + ": " + r.getMessage()[:300]
            for r in caplog.records
            if value in r.getMessage() + repr(r.__dict__)
        ]
    for row in ApiCallLog.objects.values():
        flat = repr(row)
        for value in secrets_ + pivot + ["MERCIER"]:
            assert value not in flat


def test_unknown_parent_is_told_and_offered_the_other_ways(
    client, canteen, fc_api, franceconnect
):
    family = linked_family(LEROUX)
    sign_in(client, LEROUX)
    wizard, _ = to_source_step(client, canteen, family)
    page = wizard.post("quotient", {"source": "franceconnect"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Aucun dossier CAF ou MSA" in html
    for other in ('value="api"', 'value="document"', 'value="none"'):
        assert other in html
    assert not QuotientRecord.objects.exists()
    assert ApiCallLog.objects.get().http_status == 404


def test_expired_token_asks_to_reconnect_and_keeps_the_wizard(
    client, canteen, fc_api, franceconnect
):
    family = linked_family(MERCIER)
    sign_in(client, MERCIER)
    wizard, _ = to_source_step(client, canteen, family)
    franceconnect.expire(MERCIER["sub"])
    page = wizard.post("quotient", {"source": "franceconnect"})
    html = page.content.decode()
    assert "Votre connexion FranceConnect a expiré" in html
    assert 'name="process" value="redirect"' in html
    assert ApiCallLog.objects.get().http_status == 401
    assert not QuotientRecord.objects.exists()

    # Reconnecting comes back to this step, signed in all along, the children kept.
    step_url = wizard.url("quotient")
    callback = choose(start(client, next_url=step_url, process="redirect"), MERCIER)
    back = come_back(client, callback)
    assert back["Location"] == step_url
    assert int(client.session["_auth_user_id"]) == family.users.get().pk
    page = wizard.post("quotient", {"source": "franceconnect"}, follow=True)
    assert QuotientRecord.objects.get(family=family).value == Decimal("2550")
    assert "Robert" in page.content.decode()


def test_token_known_expired_asks_to_reconnect_without_a_call(
    client, canteen, fc_api, franceconnect
):
    family = linked_family(MERCIER)
    sign_in(client, MERCIER)
    wizard, _ = to_source_step(client, canteen, family)
    stored = client.session
    stored[session.SESSION_KEY] = {
        **stored[session.SESSION_KEY],
        "expires_at": "2000-01-01T00:00:00+00:00",
    }
    stored.save()
    html = wizard.post("quotient", {"source": "franceconnect"}).content.decode()
    assert "Votre connexion FranceConnect a expiré" in html
    assert not ApiCallLog.objects.exists()


def test_reconnecting_as_someone_else_changes_nothing(
    client, canteen, fc_api, franceconnect
):
    family = linked_family(MERCIER)
    linked_family(LEROUX)
    sign_in(client, MERCIER)
    token = client.session[session.SESSION_KEY]["access_token"]
    callback = choose(start(client, process="redirect"), LEROUX)
    come_back(client, callback)
    assert int(client.session["_auth_user_id"]) == family.users.get().pk
    assert client.session[session.SESSION_KEY]["access_token"] == token


def test_not_offered_without_franceconnect(client, canteen, giraud_family, fc_api):
    client.force_login(giraud_family.users.get())
    wizard, html = to_source_step(client, canteen, giraud_family)
    assert 'value="franceconnect"' not in html
    page = wizard.post("quotient", {"source": "franceconnect"})
    assert page.status_code == 200
    assert not ApiCallLog.objects.exists()


def test_logout_drops_the_token(client, canteen, fc_api, franceconnect):
    linked_family(MERCIER)
    sign_in(client, MERCIER)
    assert client.session[session.SESSION_KEY]["access_token"]
    client.post(reverse("account_logout"))
    assert session.SESSION_KEY not in client.session
