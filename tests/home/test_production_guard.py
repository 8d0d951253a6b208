"""Production refuses to start with demo secrets or DEBUG on, and passes `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STRONG_KEY = "k7#Vq9!mZ2@pL4$wX8^nR1&tY6*uB3(cE5)dF0-gH_jJ+sK=aM;oN:iP,lQ.vW/x"


def run_manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "DEBUG",
            "DATABASE_URL",
            "ALLOWED_HOSTS",
            "WAGTAILADMIN_BASE_URL",
        }
    }
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = "portail_site.settings"
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "PORTAIL_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "DATABASE_URL": "postgres://portail:motdepasse@127.0.0.1:5432/portail",
    "ALLOWED_HOSTS": "www.ville-demo.example",
    "WAGTAILADMIN_BASE_URL": "https://www.ville-demo.example",
}


def test_production_refuses_the_demo_secret_key():
    env = dict(PRODUCTION)
    del env["SECRET_KEY"]
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = run_manage("check", DEBUG="1", **PRODUCTION)
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_refuses_missing_database_and_hosts():
    env = dict(PRODUCTION)
    del env["DATABASE_URL"], env["ALLOWED_HOSTS"]
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr and "ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize(
    "address", ["", "http://www.ville-demo.example", "https://127.0.0.1:8000"]
)
def test_production_refuses_an_admin_address_that_is_not_public_https(address):
    result = run_manage("check", **{**PRODUCTION, "WAGTAILADMIN_BASE_URL": address})
    assert result.returncode != 0
    assert "WAGTAILADMIN_BASE_URL" in result.stderr


def test_production_settings_pass_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
