"""The Django layer over real HTTP: shared client from settings, call log, faults, privacy."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from qf_connector import services
from qf_connector.errors import ErrorKind, InvalidInput, QuotientError
from qf_connector.fakeapi.testing import DEFAULT_TOKEN, TEST_RECIPIENT
from qf_connector.identity import Identity
from qf_connector.models import ApiCallLog, months_before
from qf_connector.resilience import BreakerState
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GIRAUD = {
    "birth_name": "GIRAUD",
    "first_names": ["ANNE"],
    "sex": "F",
    "birth_date": "1988-12-01",
    "birth_commune": "13002",
}
# What must never be stored or logged by the portal: the token and the identity.
SECRETS = [DEFAULT_TOKEN, "GIRAUD", "ANNE", "13002", "1988", "nomNaissance=", "prenoms"]


def giraud(**overrides) -> Identity:
    return Identity.create(**{**GIRAUD, **overrides})


@pytest.fixture
def api_settings(fake_api_url, shared_throttle):
    with override_settings(
        API_PARTICULIER_URL=fake_api_url,
        API_PARTICULIER_TOKEN=DEFAULT_TOKEN,
        API_PARTICULIER_RECIPIENT=TEST_RECIPIENT,
        API_PARTICULIER_TOTAL_TIMEOUT=20.0,
    ):
        services.reset_client()
        services._client = services.build_client(
            throttle=shared_throttle, backoff_base=0.01, backoff_cap=0.05
        )
        yield fake_api_url
        services.reset_client()


def portal_log_lines(caplog) -> str:
    # The fake server runs in this process: its own lines stand for the remote
    # API's logs, not the portal's.
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("qf_connector.fakeapi")
    )


# When a call was made and how long it took are not the family's data, and their
# digits can happen to hold a secret's (a timestamp's microseconds ending in 1988).
MEASUREMENTS = {"id", "started_at", "duration_ms"}


def stored_text() -> str:
    return "\n".join(
        str(value)
        for row in ApiCallLog.objects.values()
        for field, value in row.items()
        if field not in MEASUREMENTS
    )


def test_lookup_is_logged_with_who_and_which_family(api_settings):
    agent = UserFactory()
    result = services.lookup_by_identity(
        giraud(), user=agent, family_id=42, origin="inscription"
    )
    assert (result.value, result.provider) == (1200, "CNAF")
    [row] = ApiCallLog.objects.all()
    assert row.user == agent and row.family_id == 42 and row.origin == "inscription"
    assert row.endpoint == "/v3/dss/quotient_familial/identite"
    assert row.http_status == 200 and row.error_kind == "" and row.succeeded
    assert row.request_id == result.request_id
    assert row.attempts == 1 and row.duration_ms >= 0


def test_failures_are_logged_too(api_settings):
    with pytest.raises(QuotientError) as caught:
        services.lookup_by_identity(giraud(birth_name="Personne"), family_id=7)
    assert caught.value.kind is ErrorKind.NO_FILE
    [row] = ApiCallLog.objects.all()
    assert (row.http_status, row.error_code, row.error_kind) == (
        404,
        "37003",
        "no_file",
    )
    assert row.request_id == caught.value.request_id


def test_invalid_input_sends_nothing_and_logs_nothing(api_settings, fake_api_control):
    with pytest.raises(InvalidInput):
        services.lookup_by_identity(giraud(), month="2031-01")
    assert ApiCallLog.objects.count() == 0
    assert fake_api_control.stats()["requests"] == 0


@pytest.mark.parametrize(
    ("fault", "kind", "status"),
    [
        (
            {"kind": "status", "status": 422, "code": "00366"},
            ErrorKind.NOT_IDENTIFIED,
            422,
        ),
        (
            {"kind": "status", "status": 403, "code": "00100"},
            ErrorKind.CONFIGURATION,
            403,
        ),
        (
            {"kind": "status", "status": 504, "code": "37002"},
            ErrorKind.UNAVAILABLE,
            504,
        ),
        ({"kind": "html", "status": 502}, ErrorKind.UNAVAILABLE, 502),
        ({"kind": "truncated"}, ErrorKind.UNAVAILABLE, 200),
        ({"kind": "drop"}, ErrorKind.UNAVAILABLE, None),
    ],
)
def test_faults_over_real_http(api_settings, fake_api_control, fault, kind, status):
    fake_api_control.add_fault(**fault)  # stays until reset: every attempt gets it
    with pytest.raises(QuotientError) as caught:
        services.lookup_by_identity(giraud())
    assert caught.value.kind is kind
    assert caught.value.status == status
    [row] = ApiCallLog.objects.all()
    assert row.error_kind == kind.value


def test_transient_faults_are_retried_over_real_http(api_settings, fake_api_control):
    fake_api_control.add_faults(
        [
            {"kind": "drop", "times": 1},
            {"kind": "status", "status": 503, "times": 1},
            {"kind": "conflict", "times": 1},
        ]
    )
    result = services.lookup_by_identity(giraud())
    assert result.value == 1200
    assert ApiCallLog.objects.get().attempts == 4


def test_rate_limit_is_waited_out_over_real_http(api_settings, fake_api_control):
    fake_api_control.add_fault("rate_limit", retry_after=1, times=1)
    started = time.monotonic()
    result = services.lookup_by_identity(giraud())
    assert result.value == 1200
    assert time.monotonic() - started >= 1.0
    assert ApiCallLog.objects.get().attempts == 2


def test_hung_api_gives_unavailable_within_the_budget(api_settings, fake_api_control):
    fake_api_control.add_fault("latency", latency=30)
    client = services.build_client(total_timeout=1.5, read_timeout=12)
    started = time.monotonic()
    with pytest.raises(QuotientError) as caught:
        services.lookup_by_identity(giraud(), client=client)
    elapsed = time.monotonic() - started
    client.close()
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert elapsed < 2.0
    assert ApiCallLog.objects.get().error_kind == "unavailable"


def test_circuit_opens_on_a_failing_api_then_closes(api_settings, fake_api_control):
    clock = [0.0]
    client = services.build_client(
        failure_threshold=2,
        cool_down=30,
        max_attempts=1,
        clock=lambda: clock[0] + time.monotonic(),
    )
    fake_api_control.add_fault("status", status=503)
    for _ in range(2):
        with pytest.raises(QuotientError):
            services.lookup_by_identity(giraud(), client=client)
    before = fake_api_control.stats()["requests"]
    with pytest.raises(QuotientError) as caught:
        services.lookup_by_identity(giraud(), client=client)
    assert caught.value.reason == "circuit_open"
    assert fake_api_control.stats()["requests"] == before
    fake_api_control.clear_faults()
    clock[0] += 30
    assert services.lookup_by_identity(giraud(), client=client).value == 1200
    assert client.breaker.state is BreakerState.CLOSED
    client.close()


def test_nothing_stored_or_logged_holds_the_query_or_the_token(
    api_settings, fake_api_control, caplog
):
    caplog.set_level(logging.DEBUG)
    # Whatever the settings say of these loggers, hear everything they say here.
    for name in ("httpx", "httpcore", "qf_connector"):
        caplog.set_level(logging.DEBUG, logger=name)
    services.lookup_by_identity(giraud())
    with pytest.raises(QuotientError):
        services.lookup_by_identity(giraud(birth_name="Inconnue"))
    fake_api_control.add_fault("status", status=503, times=1)
    services.lookup_by_identity(giraud())
    fake_api_control.add_fault("html", status=502)
    with pytest.raises(QuotientError) as caught:
        services.lookup_by_identity(giraud())
    assert ApiCallLog.objects.count() == 4
    said = (
        portal_log_lines(caplog)
        + stored_text()
        + str(caught.value)
        + repr(caught.value)
    )
    assert "HTTP Request" in said  # httpx did log its request lines, redacted
    for secret in SECRETS:
        assert secret not in said, secret


def test_the_shared_client_is_built_once_from_settings(fake_api_url):
    with override_settings(
        API_PARTICULIER_URL=fake_api_url,
        API_PARTICULIER_TOKEN="x",
        API_PARTICULIER_RECIPIENT="",
        API_PARTICULIER_RATE=7.0,
        API_PARTICULIER_CONNECT_TIMEOUT=2.0,
        API_PARTICULIER_READ_TIMEOUT=11.0,
        API_PARTICULIER_TOTAL_TIMEOUT=18.0,
    ):
        services.reset_client()
        client = services.get_client()
        assert services.get_client() is client
        assert client.throttle.rate == 7.0
        assert (client.connect_timeout, client.read_timeout) == (2.0, 11.0)
        assert client.total_timeout == 18.0
        services.reset_client()


def test_recipient_defaults_to_the_commune_siret(home_page):
    from home.models import CommuneSettings

    with override_settings(API_PARTICULIER_RECIPIENT=""):
        assert services.resolve_recipient() == ""
        settings_row = CommuneSettings.for_site(home_page.get_site())
        settings_row.siret = "21750001600019"
        settings_row.save()
        assert services.resolve_recipient() == "21750001600019"
    with override_settings(API_PARTICULIER_RECIPIENT=TEST_RECIPIENT):
        assert services.resolve_recipient() == TEST_RECIPIENT


def test_no_recipient_anywhere_is_a_configuration_error(fake_api_url, fake_api_control):
    with override_settings(
        API_PARTICULIER_URL=fake_api_url,
        API_PARTICULIER_TOKEN=DEFAULT_TOKEN,
        API_PARTICULIER_RECIPIENT="",
    ):
        services.reset_client()
        with pytest.raises(QuotientError) as caught:
            services.lookup_by_identity(giraud())
        services.reset_client()
    assert caught.value.kind is ErrorKind.CONFIGURATION
    assert fake_api_control.stats()["requests"] == 0
    assert ApiCallLog.objects.get().detail == "recipient_invalid"


def test_call_log_retention_is_36_months():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    for started in (
        datetime(2023, 11, 29, 12, 0, tzinfo=UTC),  # 36 months and a day
        datetime(2023, 11, 30, 12, 0, tzinfo=UTC),  # exactly 36 months: kept
        datetime(2025, 1, 1, tzinfo=UTC),
    ):
        ApiCallLog.objects.create(
            endpoint="/v3/dss/quotient_familial/identite",
            started_at=started,
            duration_ms=5,
        )
    assert ApiCallLog.objects.expired(now).count() == 1
    assert ApiCallLog.purge_expired(now) == 1
    assert ApiCallLog.objects.count() == 2


def test_months_before_clamps_to_month_end():
    assert months_before(datetime(2026, 5, 31), 3) == datetime(2026, 2, 28)
    assert months_before(datetime(2026, 1, 15), 36) == datetime(2023, 1, 15)
