"""Every answer of CONTRACT.md's table maps to its error kind; malformed answers are 'unavailable'."""

import httpx
import pytest
import respx

from qf_connector.errors import ErrorKind, InvalidInput, QuotientError

from .support import (
    BASE_URL,
    FRANCE_CONNECT_PATH,
    IDENTITY_PATH,
    TOKEN,
    FakeClock,
    error_body,
    identity,
    json_response,
    make_client,
    success_body,
)

# (HTTP status, API code, kind, attempts made with max_attempts=3)
CONTRACT_ROWS = [
    (401, "00101", ErrorKind.CONFIGURATION, 1),
    (401, "00103", ErrorKind.CONFIGURATION, 1),
    (401, "00105", ErrorKind.CONFIGURATION, 1),
    (403, "00100", ErrorKind.CONFIGURATION, 1),
    (404, "23003", ErrorKind.NO_FILE, 1),
    (404, "10003", ErrorKind.NO_FILE, 1),
    (404, "35003", ErrorKind.NO_FILE, 1),
    (404, "37003", ErrorKind.NO_FILE, 1),
    (409, "00015", ErrorKind.UNAVAILABLE, 2),  # retried once
    (422, "00366", ErrorKind.NOT_IDENTIFIED, 1),
    (422, "00203", ErrorKind.CONFIGURATION, 1),
    (422, "00210", ErrorKind.CONFIGURATION, 1),
    (422, "00360", ErrorKind.INVALID_INPUT, 1),
    (422, "00427", ErrorKind.INVALID_INPUT, 1),
    (429, "00429", ErrorKind.RATE_LIMITED, 3),  # retried, then given up
    (502, "37999", ErrorKind.UNAVAILABLE, 3),
    (502, "35001", ErrorKind.UNAVAILABLE, 3),
    (504, "37001", ErrorKind.UNAVAILABLE, 3),
    (504, "37002", ErrorKind.UNAVAILABLE, 3),
    (504, "00501", ErrorKind.UNAVAILABLE, 3),
    (504, "37004", ErrorKind.UNAVAILABLE, 3),
    (504, "37008", ErrorKind.UNAVAILABLE, 3),
    (
        500,
        None,
        ErrorKind.UNAVAILABLE,
        1,
    ),  # API Particulier down: not in the retry list
    (503, None, ErrorKind.UNAVAILABLE, 3),
]


@pytest.mark.parametrize(("status", "code", "kind", "attempts"), CONTRACT_ROWS)
def test_contract_error_rows(status, code, kind, attempts):
    clock = FakeClock()
    records = []
    client = make_client(clock, max_attempts=3, on_call=records.append)
    body = error_body(code) if code else {"errors": []}
    headers = {"Retry-After": "1"} if status == 429 else {}
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(
            return_value=json_response(status, body, headers)
        )
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    error = caught.value
    assert error.kind is kind
    assert error.status == status
    assert error.code == code  # a 5-character string, leading zeros kept
    assert error.attempts == attempts == route.call_count
    assert error.message and error.message == str(error)
    [record] = records
    assert record.http_status == status
    assert record.error_kind == kind.value
    assert record.error_code == code
    assert record.attempts == attempts
    assert record.request_id == f"req-{status}"
    assert record.endpoint == IDENTITY_PATH


def test_422_naming_a_parameter_points_at_the_field():
    client = make_client(FakeClock())
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(
            return_value=json_response(
                422, error_body("00365", parameter="sexeEtatCivil")
            )
        )
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.INVALID_INPUT
    assert caught.value.field == "sex"
    assert "sexe" in caught.value.message


def test_numeric_code_gets_its_leading_zeros_back():
    client = make_client(FakeClock())
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(
            return_value=json_response(422, {"errors": [{"code": 366}]})
        )
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.NOT_IDENTIFIED
    assert caught.value.code == "00366"


def test_success_reads_value_provider_month_children_and_headers():
    records = []
    client = make_client(FakeClock(), on_call=records.append)
    body = success_body(
        fournisseur="CAF",
        enfants=[
            {"prenoms": "ALEXIS", "date_naissance": "2016-00-00", "sexe": "M"},
            {"prenoms": "INES", "date_naissance": "0000-00-00", "sexe": "F"},
            {"prenoms": "LEA", "date_naissance": "2018-11-25", "sexe": "F"},
        ],
    )
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(
            return_value=json_response(
                200, body, {"X-Request-ID": "abc-123", "X-Response-Cached": "true"}
            )
        )
        result = client.lookup_by_identity(identity())
    assert (result.value, result.provider) == (712, "CNAF")  # CAF is an old name
    assert (result.year, result.month) == (2026, 10)
    assert (result.computation_year, result.computation_month) == (2026, 9)
    assert [c.birth_date.isoformat() for c in result.children] == [
        "2016",
        None,
        "2018-11-25",
    ]
    assert [c.birth_date_raw for c in result.children][1] == "0000-00-00"
    assert result.request_id == "abc-123"
    assert result.cached is True
    [record] = records
    assert record.error_kind is None and record.http_status == 200
    assert record.cached is True and record.attempts == 1


def test_missing_children_block_is_unknown_not_empty():
    body = success_body()
    del body["data"]["enfants"]
    del body["data"]["adresse"]
    client = make_client(FakeClock())
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(return_value=json_response(200, body))
        result = client.lookup_by_identity(identity())
    assert result.children is None
    assert result.value == 712


def test_zero_valeur_is_not_computable_never_free():
    records = []
    client = make_client(FakeClock(), on_call=records.append)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(return_value=json_response(200, success_body(0)))
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.NO_FILE
    assert caught.value.reason == "not_computable"
    assert "calculer" in caught.value.message
    assert records[0].detail == "not_computable"


MALFORMED = [
    pytest.param(200, b"<html><body>Bad gateway</body></html>", id="html-200"),
    pytest.param(200, b'{"data": {"quotient_familial": {"valeur": 71', id="truncated"),
    pytest.param(200, b'{"data": {}}', id="no-qf-block"),
    pytest.param(
        200, b'{"data": {"quotient_familial": {"valeur": 712}}}', id="no-month"
    ),
    pytest.param(
        200,
        b'{"data": {"quotient_familial": {"valeur": "beaucoup", "fournisseur": "CNAF",'
        b' "annee": 2026, "mois": 1}}}',
        id="valeur-not-a-number",
    ),
    pytest.param(200, b"[1, 2, 3]", id="json-list"),
    pytest.param(200, b"", id="empty"),
    pytest.param(200, b"\xff\xfe\x00garbage", id="binary"),
    pytest.param(404, b"<html>Not Found</html>", id="html-404"),
    pytest.param(422, b'{"errors": "oops"}', id="errors-not-a-list"),
    pytest.param(302, b"", id="redirect"),
]


@pytest.mark.parametrize(("status", "content"), MALFORMED)
def test_malformed_answers_are_unavailable(status, content):
    client = make_client(FakeClock())
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(
            return_value=httpx.Response(
                status, content=content, headers={"Content-Type": "text/html"}
            )
        )
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert caught.value.reason == "malformed_body"
    assert caught.value.__context__ is None and caught.value.__cause__ is None


def test_html_502_page_is_retried_then_unavailable():
    client = make_client(FakeClock(), max_attempts=2)
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(
            return_value=httpx.Response(502, content=b"<html>502 Bad Gateway</html>")
        )
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert route.call_count == 2


def test_token_only_in_authorization_header_and_no_cache_only_when_fresh():
    client = make_client(FakeClock())
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(
            return_value=json_response(200, success_body())
        )
        client.lookup_by_identity(identity())
        client.lookup_by_identity(identity(), fresh=True)
    first, second = (call.request for call in route.calls)
    for request in (first, second):
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert TOKEN not in str(request.url)
        assert request.url.params["recipient"] == "13002526500013"
        assert request.url.params.get_list("prenoms[]") == ["Anatolie", "Berthe-Ysé"]
    assert "Cache-Control" not in first.headers
    assert second.headers["Cache-Control"] == "no-cache"


def test_month_is_sent_as_annee_and_mois():
    client = make_client(FakeClock())
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(
            return_value=json_response(200, success_body())
        )
        client.lookup_by_identity(identity(), month="2025-09")
    params = route.calls.last.request.url.params
    assert (params["annee"], params["mois"]) == ("2025", "9")


def test_invalid_input_is_caught_before_any_call():
    records = []
    client = make_client(FakeClock(), on_call=records.append)
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        route = mock.get(IDENTITY_PATH)
        with pytest.raises(InvalidInput):
            client.lookup_by_identity(identity(), month="2099-01")
    assert route.call_count == 0
    assert records == []


@pytest.mark.parametrize(
    ("token", "recipient", "reason"),
    [
        ("", "13002526500013", "token_missing"),
        (TOKEN, "13002526500014", "recipient_invalid"),
        (TOKEN, "", "recipient_invalid"),
    ],
)
def test_configuration_problems_stop_before_any_call(token, recipient, reason):
    from qf_connector.client import QuotientClient

    records = []
    client = QuotientClient(BASE_URL, token, recipient, on_call=records.append)
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        route = mock.get(IDENTITY_PATH)
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_identity(identity())
    assert caught.value.kind is ErrorKind.CONFIGURATION
    assert caught.value.reason == reason
    assert route.call_count == 0
    assert records[0].attempts == 0 and records[0].error_kind == "configuration"


def test_france_connect_uses_the_parent_token_and_no_identity():
    client = make_client(FakeClock())
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(FRANCE_CONNECT_PATH).mock(
            return_value=json_response(
                200, success_body(valeur=1200, fournisseur="MSA")
            )
        )
        result = client.lookup_by_france_connect("fc-access-token", month="2026-01")
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer fc-access-token"
    assert dict(request.url.params) == {
        "recipient": "13002526500013",
        "annee": "2026",
        "mois": "1",
    }
    assert (result.value, result.provider) == (1200, "MSA")


def test_france_connect_expired_session_asks_to_reconnect(caplog):
    client = make_client(FakeClock())
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(FRANCE_CONNECT_PATH).mock(
            return_value=json_response(401, error_body("00103"))
        )
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_france_connect("expired")
    assert caught.value.kind is ErrorKind.CONFIGURATION
    assert caught.value.status == 401
    assert "FranceConnect" in caught.value.message
    # A parent's expired session is not an alert for the operators.
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_a_failing_call_hook_does_not_break_the_lookup():
    def broken(record):
        raise RuntimeError("database down")

    client = make_client(FakeClock(), on_call=broken)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(return_value=json_response(200, success_body()))
        assert client.lookup_by_identity(identity()).value == 712


def test_per_call_hook_receives_the_record_too():
    shared, own = [], []
    client = make_client(FakeClock(), on_call=shared.append)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(
            return_value=json_response(404, error_body("23003"))
        )
        with pytest.raises(QuotientError):
            client.lookup_by_identity(identity(), on_call=own.append)
    assert shared == own and len(own) == 1


def test_recipient_may_be_read_at_each_lookup():
    from qf_connector.client import QuotientClient

    sirets = iter(["13002526500013", "21750001600019"])
    client = QuotientClient(BASE_URL, TOKEN, lambda: next(sirets))
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get(IDENTITY_PATH).mock(
            return_value=json_response(200, success_body())
        )
        client.lookup_by_identity(identity())
        client.lookup_by_identity(identity())
    assert [c.request.url.params["recipient"] for c in route.calls] == [
        "13002526500013",
        "21750001600019",
    ]
