"""On SQLite (the demo), simultaneous confirmations must not fail with "database is
locked" (issue 15, point 7): the settings' SQLITE_OPTIONS (WAL, busy timeout, IMMEDIATE
transactions) make writers queue instead."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
FAMILIES = 12

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite configuration only"
)


@pytest.fixture
def database_file(tmp_path, db):
    """A SQLite file holding the test database's schema (copied, not migrated again)."""
    path = tmp_path / "portail.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return path


def confirm_at_once(database_file, options):
    result = subprocess.run(  # noqa: S603 - our own module
        [
            sys.executable,
            "-m",
            "tests.family_portal.sqlite_confirmations",
            str(database_file),
            options,
            str(FAMILIES),
        ],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_settings_configure_sqlite_for_a_web_server():
    assert settings.SQLITE_OPTIONS["transaction_mode"] == "IMMEDIATE"
    assert settings.SQLITE_OPTIONS["timeout"] >= 10
    assert "journal_mode=WAL" in settings.SQLITE_OPTIONS["init_command"]


def test_simultaneous_confirmations_all_succeed(database_file):
    outcome = confirm_at_once(database_file, "settings")

    assert outcome["errors"] == []
    assert outcome["enrolments"] == FAMILIES
    assert outcome["journal_mode"] == "wal"


def test_without_these_settings_the_same_confirmations_fail(database_file):
    """The control: Django's SQLite defaults give the demo's "database is locked"."""
    outcome = confirm_at_once(database_file, "django-defaults")

    assert any("database is locked" in error for error in outcome["errors"])
    assert outcome["enrolments"] < FAMILIES
