"""Production refuses to start with a bad creditor identifier (or the demo's)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "PORTAIL_ENV": "production",
    "SECRET_KEY": "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
    "DATABASE_URL": "postgres://portail@127.0.0.1/portail",
    "ALLOWED_HOSTS": "www.ville.example",
    "WAGTAILADMIN_BASE_URL": "https://www.ville.example",
    "FRANCECONNECT_URL": "",
    "SEPA_CREDITOR_NAME": "Ville de Exemple",
    "SEPA_CREDITOR_IBAN": "FR7630001000000000000000030",
    "SEPA_CREDITOR_BIC": "BDFEFRPPCCT",
}


def start(**extra):
    env = {**os.environ, **PRODUCTION, **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", "import portail_site.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("ics", "problem"),
    [
        ("FR73ZZZ654321", "check digits"),
        ("FR72ZZZ123456", "not the demo's"),
        ("ZZ", "not a SEPA creditor identifier"),
    ],
)
def test_production_refuses_a_bad_creditor_identifier(ics, problem):
    result = start(SEPA_CREDITOR_ID=ics)
    assert result.returncode != 0
    assert problem in result.stderr


def test_production_starts_with_a_valid_one_or_none():
    from family_portal.directdebit.identifiers import creditor_id_check_digits

    good = f"FR{creditor_id_check_digits('FR', '654321')}ZZZ654321"
    result = start(SEPA_CREDITOR_ID=good)
    assert result.returncode == 0, result.stderr
    assert start(SEPA_CREDITOR_ID="").returncode == 0
