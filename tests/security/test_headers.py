"""Response headers: a Content-Security-Policy without inline scripts on the public site,
a relaxed one confined to the Wagtail admin, and no framing by other sites."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from portail_site.security import payfip_origin

from tests.factories import ContentPageFactory

PUBLIC_PATHS = ["/", "/vie-pratique/", "/compte/login/", "/compte/signup/", "/absente/"]


def directives(header):
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def public_site(home_page):
    ContentPageFactory(parent=home_page, title="Vie pratique", slug="vie-pratique")
    return home_page


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_pages_forbid_inline_scripts_and_framing(client, public_site, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    # FranceConnect's origin too: its button's form goes on there by redirect.
    franceconnect = (
        ["{0.scheme}://{0.netloc}".format(urlsplit(settings.FRANCECONNECT_URL))]
        if settings.FRANCECONNECT_URL
        else []
    )
    # And PayFiP's: "Payer en ligne" posts here and is redirected to its payment page.
    assert policy["form-action"] == ["'self'", *franceconnect, payfip_origin()]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_family_space_has_the_public_policy(client):
    response = client.get("/espace-famille/")  # redirects to the sign-in page
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_wagtail_admin_alone_gets_the_relaxed_policy(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" in policy["script-src"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "https:" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_look_alike_path_is_not_the_admin(client, public_site):
    response = client.get("/administration/")
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
