"""Sign-in throttling (django-axes) on the parents' sign-in and on the Wagtail admin's:
five failures in a row lock that account from that address, with a French page."""

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import RequestFactory, override_settings
from portail_site.security import login_identifier

from tests.factories import UserFactory

LIMIT = 5
PASSWORD = "mot-de-passe-test"  # UserFactory's


@pytest.fixture(autouse=True)
def throttling(settings):
    settings.AXES_ENABLED = True
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    cache.clear()  # allauth keeps its own rate limits in the cache
    yield
    cache.clear()


@pytest.fixture
def parent(db):
    user = UserFactory(username="anne", email="anne.giraud@example.org")
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    return user


@pytest.fixture
def agent(db):
    return UserFactory(username="agent.famille", is_staff=True, is_superuser=True)


def parent_sign_in(client, password, email="anne.giraud@example.org", ip="192.0.2.10"):
    return client.post(
        "/compte/login/", {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def admin_sign_in(client, password, username="agent.famille", ip="192.0.2.10"):
    return client.post(
        "/admin/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def assert_locked_in_french(response):
    assert response.status_code == 429
    html = response.content.decode()
    assert "Connexion temporairement bloquée" in html
    assert "15 minutes" in html
    assert '<html lang="fr"' in html


def test_parent_sign_in_locks_after_five_failures(client, parent):
    for _ in range(LIMIT - 1):
        response = parent_sign_in(client, "mauvais")
        assert response.status_code == 200
        assert "mot de passe sont incorrects" in response.content.decode()
    assert_locked_in_french(parent_sign_in(client, "mauvais"))
    # allauth's own limiter (ACCOUNT_RATE_LIMITS, kept in the cache) would refuse the
    # next attempts too, before django-axes sees them: leave it out from here on.
    cache.clear()
    # Locked means locked: the right password is refused too...
    assert_locked_in_french(parent_sign_in(client, PASSWORD))
    assert "_auth_user_id" not in client.session
    # ...and the case of the address makes no difference.
    assert_locked_in_french(
        parent_sign_in(client, PASSWORD, email="Anne.Giraud@Example.org")
    )


def test_a_locked_parent_can_still_sign_in_from_elsewhere(client, parent):
    for _ in range(LIMIT):
        parent_sign_in(client, "mauvais")
    cache.clear()  # leave allauth's own per-address limit out of this
    response = parent_sign_in(client, PASSWORD, ip="198.51.100.7")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(parent.pk)


def test_admin_sign_in_locks_after_five_failures(client, agent):
    for _ in range(LIMIT - 1):
        response = admin_sign_in(client, "mauvais")
        assert response.status_code == 200
    assert_locked_in_french(admin_sign_in(client, "mauvais"))
    assert_locked_in_french(admin_sign_in(client, PASSWORD))
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_count(client, agent):
    for _ in range(LIMIT - 1):
        admin_sign_in(client, "mauvais")
    assert admin_sign_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert admin_sign_in(client, "mauvais").status_code == 200


@override_settings(AXES_ENABLED=False)
def test_test_settings_leave_client_login_alone(client, agent):
    assert client.login(username="agent.famille", password=PASSWORD)


def test_the_attempt_names_the_admin_user_or_the_parent_address():
    request = RequestFactory().post("/", {"login": "Parent@Example.org"})
    assert login_identifier(request, None) == "parent@example.org"
    assert login_identifier(request, {"email": "Autre@Example.org"}) == (
        "autre@example.org"
    )
    assert login_identifier(request, {"username": "Agent", "password": "x"}) == "agent"
    assert login_identifier(RequestFactory().get("/"), {}) == ""
