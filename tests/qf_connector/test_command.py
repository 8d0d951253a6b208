"""``manage.py qf lookup``: JSON on standard output and the documented exit statuses."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import override_settings

from qf_connector import services
from qf_connector.fakeapi.testing import DEFAULT_TOKEN, TEST_RECIPIENT
from qf_connector.models import ApiCallLog

pytestmark = pytest.mark.django_db

GIRAUD = [
    "--nom-naissance", "GIRAUD",
    "--prenom", "ANNE",
    "--sexe", "F",
    "--naissance", "1988-12-01",
    "--commune-naissance", "13002",
]  # fmt: skip


@pytest.fixture
def command_settings(fake_api_url, shared_throttle):
    with override_settings(
        API_PARTICULIER_URL=fake_api_url,
        API_PARTICULIER_TOKEN=DEFAULT_TOKEN,
        API_PARTICULIER_RECIPIENT=TEST_RECIPIENT,
    ):
        services.reset_client()
        services._client = services.build_client(
            throttle=shared_throttle, backoff_base=0.01, backoff_cap=0.05
        )
        yield
        services.reset_client()


def qf(*args) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("qf", "lookup", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(out.getvalue())


def test_success_prints_the_quotient_and_the_children(command_settings):
    code, data = qf(*GIRAUD)
    assert code == 0
    assert (data["valeur"], data["fournisseur"]) == (1200, "CNAF")
    assert (data["annee"], data["mois"]) == (2023, 6)
    assert [child["prenoms"] for child in data["enfants"]] == ["INES", "SARAH", "LEA"]
    assert data["enfants"][0]["date_naissance"] == "2004-03-30"
    assert data["request_id"]
    row = ApiCallLog.objects.get()
    assert row.origin == "commande qf lookup" and row.request_id == data["request_id"]


def test_born_abroad(command_settings):
    code, data = qf(
        "--nom-naissance", "FAKIR", "--prenom", "EYMEN", "--prenom", "MOHAMED",
        "--sexe", "M", "--naissance", "1992-11-14", "--pays-naissance", "99350",
    )  # fmt: skip
    assert code == 0
    assert data["valeur"] == 4270 and data["enfants"] == []


def test_no_file_exits_3(command_settings):
    code, data = qf(*GIRAUD[:1], "DUBOIS", *GIRAUD[2:])
    assert code == 3
    assert data == {
        "error": {
            "kind": "no_file",
            "status": 404,
            "code": "37003",
            "message": data["error"]["message"],
            "request_id": data["error"]["request_id"],
        }
    }
    assert "CAF" in data["error"]["message"]
    assert ApiCallLog.objects.get().error_code == "37003"


def test_not_identified_exits_3(command_settings, fake_api_control):
    fake_api_control.add_fault("status", status=422, code="00366")
    code, data = qf(*GIRAUD)
    assert code == 3
    assert data["error"]["kind"] == "not_identified"
    assert data["error"]["code"] == "00366"


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 504, "code": "37001"},
        {"kind": "rate_limit", "retry_after": 60},
    ],
)
def test_unavailable_or_rate_limited_exits_4(command_settings, fake_api_control, fault):
    fake_api_control.add_fault(**fault)
    code, data = qf(*GIRAUD)
    assert code == 4
    assert data["error"]["kind"] in ("unavailable", "rate_limited")


def test_configuration_exits_5(command_settings):
    with override_settings(API_PARTICULIER_TOKEN="not-the-token"):
        services.reset_client()
        code, data = qf(*GIRAUD)
    assert code == 5
    assert data["error"]["kind"] == "configuration"
    assert data["error"]["status"] == 401
    assert "not-the-token" not in json.dumps(data)


@pytest.mark.parametrize(
    "args",
    [
        [*GIRAUD[:1], "GIRAUD2", *GIRAUD[2:]],
        [*GIRAUD[:5], "X", *GIRAUD[6:]],
        [*GIRAUD[:7], "1988-02-30", *GIRAUD[8:]],
        [*GIRAUD[:9], "2C001"],
        [*GIRAUD, "--mois", "2099-01"],
        [*GIRAUD[:8], "--pays-naissance", "99100"],  # born in France: commune needed
        [*GIRAUD, "--prenom", "B", "--prenom", "C", "--prenom", "D"],
    ],
)
def test_invalid_input_exits_2_before_any_call(
    command_settings, fake_api_control, args
):
    code, data = qf(*args)
    assert code == 2
    assert data["error"]["kind"] == "invalid_input"
    assert data["error"]["field"]
    assert fake_api_control.stats()["requests"] == 0
    assert ApiCallLog.objects.count() == 0


def test_purge_deletes_only_expired_call_logs():
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    for days in (365 * 3 + 40, 365 * 3 + 10, 30):
        ApiCallLog.objects.create(
            endpoint="/v3/dss/quotient_familial/identite",
            started_at=now - timedelta(days=days),
            duration_ms=3,
        )
    out = io.StringIO()
    call_command("qf", "purge", "--dry-run", stdout=out)
    assert json.loads(out.getvalue()) == {"a_supprimer": 2}
    assert ApiCallLog.objects.count() == 3
    out = io.StringIO()
    call_command("qf", "purge", stdout=out)
    assert json.loads(out.getvalue()) == {"supprimes": 2}
    assert ApiCallLog.objects.count() == 1
