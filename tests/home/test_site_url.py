"""The site's public address: set from the command line, refused in production while it
is local or plain HTTP (checked at start-up by the WSGI entry point and `check`)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail.models import Site

from home.checks import check_production_site_url
from home.site_url import (
    absolute_url,
    parse_root_url,
    production_problems,
    verify_production_site,
)


def default_site():
    return Site.objects.get(is_default_site=True)


@pytest.mark.parametrize(
    ("url", "hostname", "port"),
    [
        ("https://www.ville.example", "www.ville.example", 443),
        ("https://www.ville.example/", "www.ville.example", 443),
        ("http://127.0.0.1:8200", "127.0.0.1", 8200),
        ("http://localhost", "localhost", 80),
    ],
)
def test_an_address_gives_the_sites_hostname_and_port(url, hostname, port):
    assert parse_root_url(url) == (hostname, port)


@pytest.mark.parametrize(
    "url",
    [
        "www.ville.example",
        "ftp://www.ville.example",
        "https://www.ville.example:8443",
        "https://www.ville.example/portail",
        "http://www.ville.example:443",
        "http://www.ville.example:99999",
    ],
)
def test_addresses_a_site_cannot_answer_at_are_refused(url, home_page):
    with pytest.raises(CommandError):
        call_command("set_site_url", url, stdout=None)
    assert default_site().root_url == "http://localhost"


def test_the_command_sets_the_address_links_are_built_from(home_page, capsys):
    call_command("set_site_url", "http://127.0.0.1:8203")

    assert default_site().root_url == "http://127.0.0.1:8203"
    assert absolute_url("/espace-famille/") == "http://127.0.0.1:8203/espace-famille/"
    assert "http://127.0.0.1:8203" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://localhost", True),
        ("http://127.0.0.1:8000", True),
        ("http://www.ville.example", True),
        ("https://www.ville.example", False),
    ],
)
def test_production_refuses_a_local_or_plain_http_site(
    home_page, settings, url, refused
):
    call_command("set_site_url", url, stdout=None)
    settings.PRODUCTION = True

    problems = production_problems()
    errors = check_production_site_url(databases=["default"])

    assert bool(problems) is refused
    assert [error.id for error in errors] == (["home.E001"] if refused else [])
    if refused:
        with pytest.raises(
            ImproperlyConfigured, match="Refusing to start in production"
        ):
            verify_production_site()
    else:
        verify_production_site()


def test_outside_production_the_check_says_nothing(home_page, settings):
    settings.PRODUCTION = False
    assert check_production_site_url(databases=["default"]) == []


def test_without_a_default_site_production_refuses(db):
    Site.objects.all().delete()
    assert "No default Wagtail site" in production_problems()[0]


def test_the_wsgi_entry_point_runs_the_check_in_production(monkeypatch, settings):
    import importlib

    import portail_site.wsgi

    from home import site_url

    called = []
    monkeypatch.setattr(site_url, "verify_production_site", lambda: called.append(1))
    settings.PRODUCTION = True
    importlib.reload(portail_site.wsgi)
    assert called == [1]
    settings.PRODUCTION = False
    importlib.reload(portail_site.wsgi)
    assert called == [1]


def test_the_demo_is_loaded_at_the_address_it_is_served(db, capsys):
    call_command("load_demo", site_url="http://127.0.0.1:8207")

    assert default_site().root_url == "http://127.0.0.1:8207"
    assert "(site: http://127.0.0.1:8207)" in capsys.readouterr().out
