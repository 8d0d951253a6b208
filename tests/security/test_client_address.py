"""Every per-address limit (allauth's sign-in, sign-up and password-reset limits,
django-axes, the QF lookups) reads the visitor's address the same way: behind the
production reverse proxy, from X-Forwarded-For as the proxy appends it, counting
TRUSTED_PROXY_COUNT proxies from the right; with no proxy, from REMOTE_ADDR only.

The requests below arrive as nginx sends them: REMOTE_ADDR is the proxy's own address
and the header ends with the address nginx saw (`proxy_add_x_forwarded_for`)."""

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import RequestFactory
from portail_site.security import client_ip

from tests.factories import UserFactory

PROXY = "127.0.0.1"
ATTACKER = "203.0.113.66"
PARENT = "198.51.100.7"
PASSWORD = "mot-de-passe-test"  # UserFactory's
TOO_MANY = "Trop de tentatives de connexion échouées"


def behind_proxy(client_address, forged=""):
    """The META of a request relayed by nginx: what the client sent, then its address."""
    forwarded = f"{forged}, {client_address}" if forged else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.fixture(autouse=True)
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    cache.clear()  # allauth keeps its rate limits in the cache
    yield
    cache.clear()


@pytest.fixture
def parent(db):
    user = UserFactory(username="anne", email="anne.giraud@example.org")
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    return user


def sign_in(client, email, password, **meta):
    return client.post("/compte/login/", {"login": email, "password": password}, **meta)


def test_one_client_failing_does_not_lock_out_the_others(client, parent):
    # Failed sign-ins on many accounts (none the parent's) from one address: allauth's
    # per-address limit (10 a minute) ends up refusing this address...
    for number in range(11):
        response = sign_in(
            client, f"inconnu{number}@example.org", "mauvais", **behind_proxy(ATTACKER)
        )
    assert TOO_MANY in response.content.decode()
    # ...and only it: the parent, behind the same proxy, signs in.
    response = sign_in(client, parent.email, PASSWORD, **behind_proxy(PARENT))
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(parent.pk)


def test_a_forged_forwarded_prefix_does_not_escape_the_limit(client, parent):
    for number in range(10):
        sign_in(
            client,
            f"inconnu{number}@example.org",
            "mauvais",
            **behind_proxy(ATTACKER, forged=f"10.9.8.{number}"),
        )
    response = sign_in(
        client, "encore@example.org", "mauvais", **behind_proxy(ATTACKER, "10.9.8.99")
    )
    assert TOO_MANY in response.content.decode()


def test_the_sign_in_lockout_counts_the_client_behind_the_proxy(
    client, parent, settings
):
    settings.AXES_ENABLED = True
    for number in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(
            client,
            parent.email,
            "mauvais",
            **behind_proxy(ATTACKER, f"10.1.1.{number}"),
        )
    assert response.status_code == 429  # django-axes: this account from this client
    cache.clear()  # leave allauth's own per-account limit (5 in 5 minutes) out of this
    assert sign_in(
        client, parent.email, PASSWORD, **behind_proxy(PARENT)
    ).status_code == (302)


def test_sign_up_is_limited_per_client(client, db):
    def sign_up(number, address, forged=""):
        return client.post(
            "/compte/signup/",
            {
                "email": f"parent{number}@example.org",
                "password1": "Un mot de passe solide 42",
                "password2": "Un mot de passe solide 42",
            },
            **behind_proxy(address, forged),
        )

    for number in range(20):  # allauth's default: 20 sign-ups a minute per address
        assert sign_up(number, ATTACKER, forged=f"10.0.0.{number}").status_code == 302
    assert sign_up(20, ATTACKER, forged="10.0.0.200").status_code == 429
    assert sign_up(21, PARENT).status_code == 302


def test_password_reset_is_limited_per_client(client, parent):
    def reset(number, address):
        return client.post(
            "/compte/password/reset/",
            {"email": f"quelquun{number}@example.org"},
            **behind_proxy(address),
        )

    for number in range(20):  # allauth's default: 20 requests a minute per address
        assert reset(number, ATTACKER).status_code == 302
    assert reset(20, ATTACKER).status_code == 429
    assert reset(21, PARENT).status_code == 302


@pytest.mark.parametrize(
    ("count", "meta", "expected"),
    [
        # No proxy: the header is whatever the client wrote.
        (
            0,
            {"HTTP_X_FORWARDED_FOR": "192.0.2.1", "REMOTE_ADDR": "10.0.0.2"},
            "10.0.0.2",
        ),
        # One proxy: the last entry, the one it appended.
        (1, {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 192.0.2.44"}, "192.0.2.44"),
        # Two (a load balancer, then nginx): the second from the right.
        (2, {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.44, 10.0.0.5"}, "192.0.2.44"),
        # Fewer entries than proxies (reached past the first one): the furthest seen.
        (2, {"HTTP_X_FORWARDED_FOR": "192.0.2.44"}, "192.0.2.44"),
        # A port, brackets, blanks.
        (1, {"HTTP_X_FORWARDED_FOR": " 192.0.2.44:5678 "}, "192.0.2.44"),
        (1, {"HTTP_X_FORWARDED_FOR": "[2001:db8::1]:443"}, "2001:db8::1"),
        # Not an address, or no header: the proxy's own address.
        (1, {"HTTP_X_FORWARDED_FOR": "unknown"}, "10.0.0.2"),
        (1, {}, "10.0.0.2"),
    ],
)
def test_the_client_address(settings, count, meta, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", **({"REMOTE_ADDR": "10.0.0.2"} | meta))
    assert client_ip(request) == expected
    # allauth asks its adapter, which asks the same function.
    assert get_adapter(request).get_client_ip(request) == expected
