"""Production refuses the local FranceConnect of the demo, and starts with the real one."""

import pytest

from tests.home.test_production_guard import PRODUCTION, run_manage

REAL = {
    "FRANCECONNECT_URL": "https://oidc.franceconnect.gouv.fr/api/v2",
    "FRANCECONNECT_CLIENT_ID": "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2",
    "FRANCECONNECT_SECRET": "f6e5d4c3b2a1f6e5d4c3b2a1f6e5d4c3b2a1f6e5d4c3b2a1f6e5d4c3b2a1f6e5",
}


@pytest.mark.parametrize(
    "change",
    [
        {"FRANCECONNECT_URL": "http://127.0.0.1:8766"},
        {"FRANCECONNECT_URL": "https://localhost:8766"},
        {"FRANCECONNECT_URL": "http://fcp-low.integ01.dev-franceconnect.fr/api/v2"},
        {"FRANCECONNECT_SECRET": "demo-franceconnect-secret"},
        {"FRANCECONNECT_CLIENT_ID": "portail-famille-demo"},
        {"FRANCECONNECT_SECRET": ""},
    ],
)
def test_production_refuses_the_local_franceconnect(change):
    result = run_manage("check", **{**PRODUCTION, **REAL, **change})
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert "FRANCECONNECT_" in result.stderr


def test_production_starts_with_the_real_franceconnect_or_none():
    assert run_manage("check", **{**PRODUCTION, **REAL}).returncode == 0
    assert run_manage("check", **PRODUCTION).returncode == 0
