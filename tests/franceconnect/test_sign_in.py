"""Signing in with FranceConnect, through real HTTP against the local FranceConnect:
the request sent, account creation, linking, the refusals, logout."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse

from family_portal.franceconnect import session
from family_portal.franceconnect.mock.identities import MERCIER, PLACARD
from tests.family_portal.factories import FamilyFactory, GuardianFactory

from .support import choose, come_back, sign_in, start

pytestmark = pytest.mark.django_db


def test_the_sign_in_and_sign_up_pages_show_the_franceconnect_button(
    client, franceconnect
):
    for name in ("account_login", "account_signup"):
        page = client.get(reverse(name)).content.decode()
        assert "S’identifier avec" in page and "FranceConnect</span>" in page
        assert "Qu’est-ce que FranceConnect ?" in page
        assert 'href="https://franceconnect.gouv.fr/"' in page
        assert reverse("franceconnect_login") in page


def test_no_button_without_franceconnect(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"franceconnect": {"APPS": []}}
    assert "FranceConnect" not in client.get(reverse("account_login")).content.decode()


def test_the_authorization_request(client, franceconnect):
    url = start(client)
    query = parse_qs(urlsplit(url).query)
    assert query["response_type"] == ["code"]
    assert query["acr_values"] == ["eidas1"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["nonce"][0]) >= 32 and len(query["state"][0]) >= 16
    scopes = set(query["scope"][0].split())
    assert {
        "openid",
        "given_name",
        "family_name",
        "birthdate",
        "gender",
        "birthplace",
        "birthcountry",
        "preferred_username",
        "email",
        "cnaf_quotient_familial",
        "cnaf_allocataires",
        "cnaf_enfants",
    } <= scopes


def test_request_parameters_cannot_change_the_scopes_or_level(client, franceconnect):
    response = client.post(
        reverse("franceconnect_login") + "?scope=admin&auth_params=acr_values%3Deidas0"
    )
    query = parse_qs(urlsplit(response["Location"]).query)
    assert "admin" not in query["scope"][0]
    assert query["acr_values"] == ["eidas1"]


def test_first_sign_in_creates_the_account(client, franceconnect):
    response = sign_in(client, PLACARD)
    assert response.status_code == 302
    user = get_user_model().objects.get(email=PLACARD["email"])
    assert EmailAddress.objects.get(user=user).verified
    account = SocialAccount.objects.get(user=user, provider="franceconnect")
    assert account.uid == PLACARD["sub"]
    # Only the subject is kept in the database: neither the pivot identity nor a token.
    assert account.extra_data == {"sub": PLACARD["sub"]}
    assert client.session[session.SESSION_KEY]["access_token"]
    # No family yet: the family's page is filled from the pivot identity, certified.
    page = client.get(reverse("family_portal:family_create"))
    text = page.content.decode()
    assert "PLACARD" in text and "Certifié FranceConnect" in text
    response = client.post(
        reverse("family_portal:family_create"),
        {
            "famille-name": "Famille Placard",
            "famille-street": "3 rue Haute",
            "famille-postcode": "59000",
            "famille-city": "Lille",
            # Typed over the certified fields: ignored.
            "responsable-birth_name": "AUTRE",
            "responsable-first_name": "Autre",
            "responsable-sex": "M",
            "responsable-birth_date": "2000-01-01",
            "responsable-email": PLACARD["email"],
            "responsable-is_allocataire": "on",
        },
    )
    assert response.status_code == 302, re.findall(
        r"(?s)class=\"[^\"]*error[^\"]*\".{0,300}", response.content.decode()
    )
    guardian = user.families.get().guardians.get()
    assert guardian.is_certified
    assert (guardian.birth_name, guardian.first_name, guardian.sex) == (
        "PLACARD",
        "Elsa",
        "F",
    )
    assert guardian.birth_date == datetime.date(1987, 4, 13)
    assert guardian.birth_commune_code == "59226"
    assert guardian.usage_name == "DUBOIS"
    assert session.IDENTITY_KEY not in client.session


def test_a_second_sign_in_finds_the_account(client, franceconnect):
    sign_in(client, PLACARD)
    client.logout()
    response = sign_in(client, PLACARD)
    assert response.status_code == 302
    assert get_user_model().objects.filter(email=PLACARD["email"]).count() == 1
    assert int(client.session["_auth_user_id"]) == SocialAccount.objects.get().user_id


@pytest.fixture
def mercier_account(db):
    """An account of the portal with Pierre Mercier's address, not yet linked."""
    user = get_user_model().objects.create_user(
        username="pmercier", email=MERCIER["email"], password="Un-mot-de-passe-solide"
    )
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    family = FamilyFactory(name="Famille Mercier")
    family.users.add(user)
    GuardianFactory(
        family=family,
        birth_name="Mercier",
        first_name="Pierre",
        sex="M",
        birth_date=datetime.date(1969, 3, 17),
        birth_commune_code="75056",
    )
    return user


def test_linking_asks_the_existing_accounts_password(
    client, franceconnect, mercier_account
):
    response = sign_in(client, MERCIER)
    assert response["Location"] == reverse("franceconnect_link")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("franceconnect_link"))
    assert MERCIER["email"] in page.content.decode()
    wrong = client.post(reverse("franceconnect_link"), {"password": "pas-le-bon"})
    assert "Ce mot de passe n&#x27;est pas le bon." in wrong.content.decode()
    assert not SocialAccount.objects.exists()
    assert "_auth_user_id" not in client.session

    right = client.post(
        reverse("franceconnect_link"), {"password": "Un-mot-de-passe-solide"}
    )
    assert right.status_code == 302
    assert int(client.session["_auth_user_id"]) == mercier_account.pk
    assert SocialAccount.objects.get().user == mercier_account
    guardian = mercier_account.families.get().guardians.get()
    # Certified from the pivot identity: the birth place typed by hand is corrected.
    assert guardian.is_certified
    assert guardian.birth_name == "MERCIER"
    assert guardian.birth_commune_code == "95277"
    assert client.session[session.SESSION_KEY]["access_token"]


def test_linking_can_be_declined(client, franceconnect, mercier_account):
    sign_in(client, MERCIER)
    response = client.post(reverse("franceconnect_link"), {"cancel": "1"})
    assert response["Location"] == reverse("account_login")
    assert not SocialAccount.objects.exists()
    assert client.get(reverse("franceconnect_link"))["Location"] == reverse(
        "account_login"
    )


def test_a_staff_address_is_never_linked(client, franceconnect):
    staff = get_user_model().objects.create_user(
        username="agent", email=MERCIER["email"], password="x", is_staff=True
    )
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True)
    sign_in(client, MERCIER)
    assert not SocialAccount.objects.exists()
    assert "_auth_user_id" not in client.session


def test_a_state_mismatch_is_refused(client, franceconnect):
    callback = choose(start(client), PLACARD)
    response = come_back(client, callback, state="un-autre-etat-inconnu")
    assert response.status_code == 401
    assert "n’a pas abouti" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()


def test_a_callback_from_another_browser_is_refused(client, franceconnect):
    from django.test import Client

    callback = choose(start(client), PLACARD)
    other = Client()
    assert come_back(other, callback).status_code == 401
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("what", ["nonce", "signature", "key", "audience", "issuer"])
def test_a_spoilt_id_token_is_refused(client, franceconnect, what):
    franceconnect.tamper(what)
    response = sign_in(client, PLACARD)
    assert response.status_code == 401
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()


def test_logout_ends_the_franceconnect_session(client, franceconnect, fc_provider):
    sign_in(client, PLACARD)
    token = client.session[session.SESSION_KEY]["access_token"]
    response = client.post(reverse("account_logout"))
    end_session = response["Location"]
    parts = urlsplit(end_session)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"{fc_provider.base_url}/session/end"
    )
    query = parse_qs(parts.query)
    assert query["id_token_hint"]
    assert query["post_logout_redirect_uri"] == [
        "http://testserver" + reverse("franceconnect_logged_out")
    ]
    # Signed out here, token dropped...
    assert "_auth_user_id" not in client.session
    assert session.SESSION_KEY not in client.session
    # ...and at FranceConnect, which sends the parent back with the state.
    back = httpx.get(end_session)
    assert back.status_code == 302
    assert franceconnect.stats()["logouts"] == 1
    final = come_back(client, back.headers["location"])
    assert final["Location"] == "/"
    userinfo = httpx.get(
        f"{fc_provider.base_url}/userinfo",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert userinfo.status_code == 401


def test_logout_without_franceconnect_stays_local(
    client, franceconnect, mercier_account
):
    client.force_login(mercier_account)
    assert client.post(reverse("account_logout"))["Location"] == "/"
