"""Signing in with the local FranceConnect over real HTTP, from Django's test client:
the portal's login posts to FranceConnect's authorize URL (the mock, on loopback), the
person is chosen there as a parent would click, and the callback comes back to the
portal, which exchanges the code with the mock over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from django.urls import reverse

from family_portal.franceconnect.mock.testing import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    MockProviderControl,
    mock_provider_server,
)


@pytest.fixture(scope="session")
def fc_provider():
    with mock_provider_server() as server:
        yield server


@pytest.fixture
def franceconnect(fc_provider, settings):
    """The portal's FranceConnect pointed at the local one; its controls."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "franceconnect": {
            "APPS": [
                {
                    "client_id": DEFAULT_CLIENT_ID,
                    "secret": DEFAULT_CLIENT_SECRET,
                    "settings": {
                        "server_url": fc_provider.base_url,
                        "token_auth_method": "client_secret_post",
                    },
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    }
    control = MockProviderControl(fc_provider.base_url)
    control.reset()
    yield control
    control.reset()


def start(client, *, next_url=None, process=None):
    """The portal's FranceConnect button pressed: the authorize URL it sends to."""
    data = {}
    if next_url:
        data["next"] = next_url
    if process:
        data["process"] = process
    response = client.post(reverse("franceconnect_login"), data)
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def choose(authorize_url, identity):
    """The person clicked on the local FranceConnect's page: the callback URL."""
    parts = urlsplit(authorize_url)
    params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    page = httpx.get(authorize_url)
    assert page.status_code == 200, page.text
    answer = httpx.post(
        f"{parts.scheme}://{parts.netloc}{parts.path}",
        data={**params, "sub": identity["sub"]},
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def come_back(client, callback_url, **override):
    parts = urlsplit(callback_url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    query.update(override)
    return client.get(f"{parts.path}?{urlencode(query)}")


def sign_in(client, identity, *, next_url=None, process=None):
    """The whole round trip; the portal's answer to the callback."""
    authorize_url = start(client, next_url=next_url, process=process)
    return come_back(client, choose(authorize_url, identity))
