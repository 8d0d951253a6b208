"""Request logs keep no personal data and no secret (issue 15): gunicorn's access log (the
project's `site/gunicorn.conf.py`, as production starts it) and Django's request logs write
neither an agent's search for a family (a query string) nor the secret of a path (the
family calendar feed's token, the verification and reset links)."""

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse
from portail_site.log_filters import MASK, PrivateRequestPaths, private_url

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SECRET = "S3cretT0kenXyz"


def secret_urls():
    """Each route whose path holds a secret, as the project builds it."""
    return [
        reverse("family_portal:bookings:feed", kwargs={"token": SECRET}),
        reverse("certificates:verify", kwargs={"number": "2026-0001", "token": SECRET}),
        reverse("account_confirm_email", kwargs={"key": SECRET}),
        reverse(
            "account_reset_password_from_key", kwargs={"uidb36": "4", "key": SECRET}
        ),
        reverse(
            "wagtailadmin_password_reset_confirm",
            kwargs={"uidb64": "Mg", "token": SECRET},
        ),
    ]


def test_secret_paths_are_masked():
    for url in secret_urls():
        private = private_url(url)
        assert SECRET not in private, url
        assert MASK in private, url


def test_query_strings_are_masked_and_the_rest_kept():
    assert (
        private_url("/admin/snippets/family_portal/family/?q=Giraud&p=2")
        == "/admin/snippets/family_portal/family/?[masqué]"
    )
    assert private_url("https://ville.example/recherche/?query=Giraud") == (
        "https://ville.example/recherche/?[masqué]"
    )
    assert private_url("/activites/cantine/") == "/activites/cantine/"
    assert private_url("/espace-famille/reservations/agenda/") == (
        "/espace-famille/reservations/agenda/"
    )
    assert private_url("-") == "-"


def test_django_request_log_lines_are_masked():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /admin/?q=Giraud HTTP/1.1", "200", "512"),
        None,
    )
    assert PrivateRequestPaths().filter(record)
    assert record.getMessage() == '"GET /admin/?[masqué] HTTP/1.1" 200 512'

    feed = reverse("family_portal:bookings:feed", kwargs={"token": SECRET})
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (feed,), None
    )
    PrivateRequestPaths().filter(record)
    assert SECRET not in record.getMessage()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # one request, one access-log line


def get(url, **headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn with the project's configuration on a free loopback port, an access log
    in a file; the application on an empty SQLite database (no page needs to work)."""
    port = free_port()
    access_log = tmp_path / "access.log"
    error_log = tmp_path / "error.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GUNICORN", "DJANGO", "DATABASE", "PORTAIL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portail_site.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG=str(access_log),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    with error_log.open("w") as errors:
        process = subprocess.Popen(  # noqa: S603
            [GUNICORN, "-c", "site/gunicorn.conf.py", "portail_site.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=errors,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    pytest.fail("gunicorn stopped:\n" + error_log.read_text())
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(
                            "gunicorn did not answer:\n" + error_log.read_text()
                        )
                    time.sleep(0.2)
            yield base, access_log, error_log
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_gunicorn_access_log_keeps_no_search_nor_token(gunicorn):
    base, access_log, error_log = gunicorn
    # An agent's search for a family (the admin answers a redirect to its sign-in page),
    # with the previous search in the Referer.
    get(
        f"{base}/admin/snippets/family_portal/family/?q=Giraud",
        Referer=f"{base}/admin/?q=Bernadette",
    )
    # A calendar application reading a family's feed (the empty database answers 500:
    # Django's error line is checked too).
    get(f"{base}{reverse('family_portal:bookings:feed', kwargs={'token': SECRET})}")
    get(f"{base}/compte/password/reset/key/4-{SECRET}/")

    deadline = time.monotonic() + 10
    while access_log.read_text().count("\n") < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    written = access_log.read_text()
    assert written.count("\n") == 3, written
    assert (
        '"GET /admin/snippets/family_portal/family/?[masqué] HTTP/1.1" 302' in written
    )
    assert f'"{base}/admin/?[masqué]"' in written  # the Referer
    assert "/espace-famille/reservations/agenda/[masqué].ics" in written
    everything = written + error_log.read_text()
    for secret in ("Giraud", "Bernadette", SECRET):
        assert secret not in everything
