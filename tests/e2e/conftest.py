"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Every test here is marked `browser`. Ask for `live_server` and `page` *before* any database
fixture (`demo_commune`, `db`...), as in ``def test_x(live_server, page, demo_commune)``.
The live server needs committed data, so each test runs without a wrapping transaction and
the database is flushed afterwards, Wagtail's root page and collection with it:
`demo_commune` (through `wagtail_tree`) puts them back first.
"""

import io
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from wagtail.models import Collection, Locale, Page

from home.models import HomePage
from qf_connector.fakeapi.testing import (
    DEFAULT_TOKEN,
    TEST_RECIPIENT,
    FakeApiControl,
    fake_api_server,
)
from qf_connector.services import reset_client

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("PORTAIL_CHROMIUM", "/usr/bin/chromium")
# Debian's Chromium, headless, as root in a sandbox-less container with a closed network:
# without the background-networking flags it keeps calling home and failing.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
NARROWEST = {"width": 320, "height": 640}  # WCAG 1.4.10 reflow: 320 CSS pixels wide


@pytest.fixture(scope="package", autouse=True)
def allow_database_access_beside_playwright(django_db_setup):
    """Playwright's synchronous API keeps an asyncio loop running in the main thread, where
    Django then refuses database access ("SynchronousOnlyOperation"). The tests touch the
    database from this thread one call at a time, so lift the guard, for this folder only
    (a process started by a later test must not inherit it: `check --deploy` rejects it).
    The test database is created first, before Playwright starts its loop."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing ({CHROMIUM}): `make test` installs it.")
        pytest.skip(f"Chromium is missing ({CHROMIUM}): `make test` installs it.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "fr-FR",
        "timezone_id": "Europe/Paris",
        "viewport": DESKTOP,
    }


@pytest.fixture(params=[MOBILE, DESKTOP], ids=["mobile", "desktop"])
def viewport(request, page):
    """Run the test once on a 390×844 phone and once on a desktop screen."""
    page.set_viewport_size(request.param)
    return request.param


@pytest.fixture(autouse=True)
def browser_errors(page):
    """Fail a browser test on any script error or Content-Security-Policy violation.

    The tests keep the site's CSP on (no `bypass_csp`), so this also proves that the
    pages they visit work under it.
    """
    page.set_default_timeout(10_000)
    problems = []

    def on_console(message):
        # Chromium asks for /favicon.ico on its own; the site has none (yet).
        if message.type == "error" and not message.location.get("url", "").endswith(
            "/favicon.ico"
        ):
            problems.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield problems
    assert not problems, "\n".join(problems)


@pytest.fixture
def wagtail_tree(transactional_db):
    """What Wagtail's data migrations create and the flush after a live-server test removes:
    the default locale, the root page and the root collection. (Serialized rollback cannot
    bring them back here: Playwright's event loop leaves the test with another database
    connection than the one the test database was serialized on.)"""
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(instance=Page(title="Root", slug="root", live=True))
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    return Page.get_first_root_node()


@pytest.fixture
def demo_commune(wagtail_tree):
    """The demo commune of `make demo` (pages, settings, accounts), served by the live
    server; returns its home page. Later issues' demo content comes along for free."""
    call_command("load_demo", stdout=io.StringIO())

    return HomePage.objects.get()


@pytest.fixture(scope="session")
def fake_api_thread():
    """The fake API Particulier, over real HTTP, in a thread of this process."""
    with fake_api_server() as server:
        yield server


@pytest.fixture
def api_particulier(fake_api_thread, settings):
    """The live server's QF client pointed at the fake API (its shared client rebuilt
    from these settings, and dropped again afterwards); returns the fake's controls."""
    control = FakeApiControl(fake_api_thread.base_url)
    control.reset()
    settings.API_PARTICULIER_URL = fake_api_thread.base_url
    settings.API_PARTICULIER_TOKEN = DEFAULT_TOKEN
    settings.API_PARTICULIER_RECIPIENT = TEST_RECIPIENT
    settings.API_PARTICULIER_TOTAL_TIMEOUT = 5.0
    reset_client()
    yield control
    reset_client()
    control.reset()
