"""Neither the token nor the identity (the query string) reaches a log, an error or a record."""

import dataclasses
import logging

import httpx
import pytest
import respx

from qf_connector.errors import QuotientError
from qf_connector.privacy import RedactQueryFilter, strip_query

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

FC_TOKEN = "fc-jeton-parent-Qm92"
# Identity values that would betray a leaked query string.
SECRETS = [
    TOKEN,
    FC_TOKEN,
    "ZORGLUBIEN",
    "Zorglubien",
    "Anatolie",
    "Berthe",
    # Parameter names may be logged (a 422 names one), never as query string pairs.
    "nomNaissance=",
    "prenoms%5B%5D=",
    "prenoms[]=",
    "sexeEtatCivil=",
    "codeCogInseeCommuneNaissance=",
    "1987",
    "08480",
    "recipient=",
]

ANSWERS = [
    pytest.param([json_response(200, success_body())], id="success"),
    pytest.param([json_response(404, error_body("37003"))], id="no-file"),
    pytest.param([json_response(422, error_body("00366"))], id="not-identified"),
    pytest.param(
        [json_response(422, error_body("00360", parameter="nomNaissance"))],
        id="invalid-param",
    ),
    pytest.param([json_response(401, error_body("00101"))], id="bad-token"),
    pytest.param(
        [json_response(503, {"errors": []}), json_response(503, {"errors": []})],
        id="down",
    ),
    pytest.param(
        [json_response(429, error_body("00429"), {"Retry-After": "1"})] * 2,
        id="rate-limited",
    ),
    pytest.param(
        [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")], id="network"
    ),
    pytest.param(
        [httpx.Response(200, content=b"<html>oops ZZ</html>")], id="malformed"
    ),
]


def everything_said(caplog, error, records) -> str:
    parts = [record.getMessage() for record in caplog.records]
    parts += [str(record.args) for record in caplog.records]
    parts += [record.exc_text or "" for record in caplog.records]
    if error is not None:
        parts += [str(error), repr(error), str(error.as_dict()), str(error.args)]
    for record in records:
        parts += [str(value) for value in dataclasses.asdict(record).values()]
        parts.append(repr(record))
    return "\n".join(parts)


@pytest.mark.parametrize("answers", ANSWERS)
def test_identity_lookup_leaks_nothing(caplog, answers):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "qf_connector"):
        caplog.set_level(logging.DEBUG, logger=name)
    records = []
    client = make_client(FakeClock(), max_attempts=2, on_call=records.append)
    error = None
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(side_effect=answers)
        try:
            result = client.lookup_by_identity(identity())
        except QuotientError as raised:
            error = raised
        else:
            assert "ZORGLUBIEN" not in repr(result)
    said = everything_said(caplog, error, records)
    assert caplog.records, "the lookup should have logged something"
    for secret in SECRETS:
        assert secret not in said, secret
    assert all(record.endpoint == IDENTITY_PATH for record in records)


def test_france_connect_lookup_leaks_nothing(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "qf_connector"):
        caplog.set_level(logging.DEBUG, logger=name)
    records = []
    client = make_client(FakeClock(), on_call=records.append)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(FRANCE_CONNECT_PATH).mock(
            return_value=json_response(401, error_body("00103"))
        )
        with pytest.raises(QuotientError) as caught:
            client.lookup_by_france_connect(FC_TOKEN)
    said = everything_said(caplog, caught.value, records)
    assert FC_TOKEN not in said
    assert "recipient=" not in said


def test_httpx_request_log_line_is_redacted(caplog):
    caplog.set_level(logging.INFO, logger="httpx")
    client = make_client(FakeClock())
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(IDENTITY_PATH).mock(return_value=json_response(200, success_body()))
        client.lookup_by_identity(identity())
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines and all("?[masqué]" in line for line in lines)


def test_redaction_filter_on_plain_strings():
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "GET %s and /v3/x?nomNaissance=DUPONT done",
        ("https://h/p?a=1&b=2",),
        None,
    )
    RedactQueryFilter().filter(record)
    message = record.getMessage()
    assert "DUPONT" not in message and "a=1" not in message
    assert "https://h/p?[masqué]" in message


def test_strip_query():
    assert strip_query(httpx.URL("https://h/v3/p?x=1")) == "https://h/v3/p"
    assert strip_query("/v3/p?x=1") == "/v3/p"
