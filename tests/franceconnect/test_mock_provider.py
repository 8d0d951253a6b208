"""The local FranceConnect and the fake API Particulier's FranceConnect route, over real
HTTP: what the portal's client and `make demo` rely on."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from family_portal.franceconnect.mock.identities import LEROUX, MERCIER
from family_portal.franceconnect.mock.testing import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    MockProviderControl,
    mock_provider_server,
)
from qf_connector.fakeapi.testing import TEST_RECIPIENT, fake_api_server

REDIRECT = "http://127.0.0.1:9/callback"
SCOPES = "openid identite_pivot email preferred_username cnaf_quotient_familial"


@pytest.fixture(scope="module")
def provider():
    with mock_provider_server() as server:
        yield server.base_url


@pytest.fixture(scope="module")
def fake_api(provider):
    with fake_api_server() as server:
        server.api.france_connect_userinfo = f"{provider}/userinfo"
        yield server.base_url


def authorize(provider, sub, *, verifier=None, **overrides):
    params = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "acr_values": "eidas1",
    }
    if verifier:
        digest = hashlib.sha256(verifier.encode()).digest()
        params["code_challenge"] = (
            base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        )
        params["code_challenge_method"] = "S256"
    params.update(overrides)
    page = httpx.get(f"{provider}/authorize", params=params)
    assert page.status_code == 200, page.text
    answer = httpx.post(f"{provider}/authorize", data={**params, "sub": sub})
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == [params["state"]]
    return query["code"][0], params


def exchange(provider, code, **extra):
    return httpx.post(
        f"{provider}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            **extra,
        },
    )


def sign_in(provider, identity):
    verifier = secrets.token_urlsafe(48)
    code, params = authorize(provider, identity["sub"], verifier=verifier)
    tokens = exchange(provider, code, code_verifier=verifier)
    assert tokens.status_code == 200, tokens.text
    return tokens.json(), params


def test_signed_id_token_with_nonce_and_acr(provider):
    tokens, params = sign_in(provider, MERCIER)
    keys = httpx.get(f"{provider}/jwks").json()["keys"]
    key = jwt.PyJWK(keys[0]).key
    claims = jwt.decode(
        tokens["id_token"],
        key,
        algorithms=["RS256"],
        audience=DEFAULT_CLIENT_ID,
        issuer=provider,
    )
    assert claims["sub"] == MERCIER["sub"]
    assert claims["nonce"] == params["nonce"]
    assert claims["acr"] == "eidas1"
    config = httpx.get(f"{provider}/.well-known/openid-configuration").json()
    assert config["issuer"] == provider
    assert config["end_session_endpoint"] == f"{provider}/session/end"


def test_userinfo_gives_the_claims_of_the_scopes(provider):
    tokens, _ = sign_in(provider, MERCIER)
    info = httpx.get(
        f"{provider}/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert info["family_name"] == "MERCIER"
    assert info["birthplace"] == "95277"
    assert info["email"] == MERCIER["email"]
    assert info["preferred_username"] == "DUBOIS"


def test_pkce_verifier_is_checked(provider):
    code, _ = authorize(provider, MERCIER["sub"], verifier=secrets.token_urlsafe(48))
    assert exchange(provider, code, code_verifier="wrong" * 10).status_code == 400


def test_code_is_used_once_and_client_is_checked(provider):
    code, _ = authorize(provider, MERCIER["sub"])
    assert exchange(provider, code, client_secret="nope").status_code == 401
    assert exchange(provider, code).status_code == 200
    assert exchange(provider, code).status_code == 400


def test_state_and_nonce_are_required(provider):
    params = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": secrets.token_urlsafe(24),
    }
    assert httpx.get(f"{provider}/authorize", params=params).status_code == 400


def test_end_session_needs_a_hint_signed_here_and_revokes(provider):
    tokens, _ = sign_in(provider, MERCIER)
    forged = jwt.encode({"sub": MERCIER["sub"]}, "s" * 32, algorithm="HS256")
    refused = httpx.get(f"{provider}/session/end", params={"id_token_hint": forged})
    assert refused.status_code == 400
    done = httpx.get(
        f"{provider}/session/end",
        params={
            "id_token_hint": tokens["id_token"],
            "state": "xyz",
            "post_logout_redirect_uri": "http://127.0.0.1:9/bye",
        },
    )
    assert done.status_code == 302
    assert done.headers["location"] == "http://127.0.0.1:9/bye?state=xyz"
    info = httpx.get(
        f"{provider}/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert info.status_code == 401


def fc_lookup(fake_api, token):
    return httpx.get(
        f"{fake_api}/v3/dss/quotient_familial/france_connect",
        params={"recipient": TEST_RECIPIENT},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_fake_api_accepts_the_local_franceconnect_tokens(provider, fake_api):
    tokens, _ = sign_in(provider, MERCIER)
    answer = fc_lookup(fake_api, tokens["access_token"])
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["allocataires"][0]["nom_naissance"] == "MERCIER"
    assert data["quotient_familial"]["valeur"] == 2550


def test_fake_api_does_not_know_the_unknown_person(provider, fake_api):
    tokens, _ = sign_in(provider, LEROUX)
    answer = fc_lookup(fake_api, tokens["access_token"])
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["code"] == "37003"


def test_fake_api_refuses_expired_and_unknown_tokens(provider, fake_api):
    tokens, _ = sign_in(provider, MERCIER)
    MockProviderControl(provider).expire(MERCIER["sub"])
    expired = fc_lookup(fake_api, tokens["access_token"])
    assert expired.status_code == 401
    assert expired.json()["errors"][0]["code"] == "00103"
    unknown = fc_lookup(fake_api, "not-a-token")
    assert unknown.status_code == 401
    assert unknown.json()["errors"][0]["code"] == "00101"
