"""The fake API Particulier, over real HTTP: staging cases, checks, headers, faults, logs."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
import yaml

from home.siret import is_valid_siret
from qf_connector import fakeapi as fake_api_module
from qf_connector.fakeapi import matching
from qf_connector.fakeapi.cases import (
    DEMO_ALLOCATAIRE,
    DEMO_CASE_FILE,
    DEMO_CHILDREN,
    DEMO_QUERY,
    DEMO_QUOTIENT,
    FRANCE_CONNECT,
    IDENTITE,
    staging_dir,
)
from qf_connector.fakeapi.faults import Fault, FaultError
from qf_connector.fakeapi.testing import (
    DEFAULT_TOKEN,
    REPOSITORY_ROOT,
    TEST_RECIPIENT,
    FakeApiControl,
    fake_api_server,
    load_cases,
    running_fake_api,
    running_fake_api_process,
)
from qf_connector.fakeapi.validation import paris_today

IDENTITE_PATH = "/v3/dss/quotient_familial/identite"
FRANCE_CONNECT_PATH = "/v3/dss/quotient_familial/france_connect"
SECRET_NAME = "ZORGLUBIENNE"  # a name no case holds, easy to look for in logs

BOOK = load_cases()
IDENTITE_CASES = BOOK.cases[IDENTITE]
FRANCE_CONNECT_CASES = BOOK.cases[FRANCE_CONNECT]


def demo_params(**overrides) -> list[tuple[str, str]]:
    params = {"recipient": TEST_RECIPIENT, **DEMO_QUERY, **overrides}
    query: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        query.extend((key, str(item)) for item in values)
    return query


def errors_of(response: httpx.Response) -> list[dict]:
    return response.json()["errors"]


@pytest.fixture(scope="module")
def server():
    with fake_api_server() as running:
        yield running


@pytest.fixture(scope="module")
def control(server):
    return FakeApiControl(server.base_url)


@pytest.fixture(autouse=True)
def _clean_server(request):
    # Tests share one server: every test starts without faults, cache or rate window.
    if "server" in request.fixturenames:
        FakeApiControl(request.getfixturevalue("server").base_url).reset()


@pytest.fixture
def client(server):
    with httpx.Client(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
        timeout=5,
    ) as http:
        yield http


def test_the_staging_folders_are_all_loaded():
    assert len(IDENTITE_CASES) == 22
    assert len(FRANCE_CONNECT_CASES) == 14
    assert {"all_fc", "cnaf_qfv2"} <= set(BOOK.tokens)


# -- every staging case --------------------------------------------------------------

# The API checks parameters before it looks anyone up: a case file whose params miss
# a required one (404.yaml has no first name) gets the 422, on staging as here.
INVALID_AS_WRITTEN = {"404": "prenoms[]"}


@pytest.mark.parametrize("case", IDENTITE_CASES, ids=lambda case: case.name)
def test_every_identite_case_answers_its_status_and_payload(client, case):
    response = client.get(IDENTITE_PATH, params=case.query_params(TEST_RECIPIENT))

    if case.name in INVALID_AS_WRITTEN:
        assert response.status_code == 422
        assert errors_of(response)[0]["source"] == {
            "parameter": INVALID_AS_WRITTEN[case.name]
        }
        response = client.get(
            IDENTITE_PATH,
            params=[*case.query_params(TEST_RECIPIENT), ("prenoms[]", "Marie")],
        )
    assert response.status_code == case.status
    assert response.json() == case.payload_json()
    assert response.text == case.payload  # the exact body, byte for byte


def _variant(value: str) -> str:
    """Lower case, accents dropped, hyphens turned to spaces: what a parent types."""
    return matching.normalise_text(value).lower().replace(" ", "-", 1)


@pytest.mark.parametrize(
    "case",
    [case for case in IDENTITE_CASES if case.name not in INVALID_AS_WRITTEN],
    ids=lambda case: case.name,
)
def test_every_identite_case_tolerates_case_accent_and_hyphen_variants(client, case):
    query = []
    for key, value in case.query_params(TEST_RECIPIENT):
        if key in ("nomNaissance", "prenoms[]"):
            value = _variant(value)
        query.append((key, value))

    response = client.get(IDENTITE_PATH, params=query)

    assert response.status_code == case.status
    assert response.json() == case.payload_json()


def test_accents_and_separators_are_tolerated_both_ways(client):
    nominal = next(c for c in IDENTITE_CASES if c.name == "200-identite-cas-nominal")
    query = [
        (key, value)
        for key, value in nominal.query_params(TEST_RECIPIENT)
        if key != "prenoms[]"
    ]
    # The file says GÉRÔME and JEAN-PHILIPPE; all three names in one value, too.
    query.append(("prenoms[]", "alexis  gérome jean’philippe"))
    query.append(("nomNaissance", "Lefèbvre"))

    response = client.get(IDENTITE_PATH, params=query)

    assert response.status_code == 200
    assert response.json() == nominal.payload_json()


def test_the_most_specific_case_wins(client):
    # Same person, three sets of LEFEBVRE params: full date, year only, no date.
    base = [
        ("recipient", TEST_RECIPIENT),
        ("nomNaissance", "LEFEBVRE"),
        ("prenoms[]", "ALEXIS"),
        ("prenoms[]", "GÉRÔME"),
        ("prenoms[]", "JEAN-PHILIPPE"),
        ("sexeEtatCivil", "F"),
        ("codeCogInseeCommuneNaissance", "08480"),
        ("codeCogInseePaysNaissance", "99100"),
    ]
    year_only = client.get(
        IDENTITE_PATH, params=[*base, ("anneeDateNaissance", "1982")]
    )
    no_date = client.get(IDENTITE_PATH, params=base)
    # A day without its month is ignored, as the API documents.
    day_without_month = client.get(
        IDENTITE_PATH,
        params=[*base, ("anneeDateNaissance", "1982"), ("jourDateNaissance", "27")],
    )

    assert year_only.status_code == 200
    assert no_date.status_code == 404
    assert day_without_month.json() == year_only.json()


def test_a_case_naming_its_qf_month_answers_that_month_only(client):
    roux = next(c for c in IDENTITE_CASES if c.month == (2023, 5))
    without_month = [
        (k, v)
        for k, v in roux.query_params(TEST_RECIPIENT)
        if k not in ("annee", "mois")
    ]

    asked = client.get(IDENTITE_PATH, params=roux.query_params(TEST_RECIPIENT))
    current_month = client.get(IDENTITE_PATH, params=without_month)

    assert asked.status_code == 200
    assert asked.json()["data"]["quotient_familial"]["mois"] == 5
    assert current_month.status_code == 404


def test_a_case_without_month_answers_any_month_of_the_window(client):
    response = client.get(IDENTITE_PATH, params=demo_params(**_month_params(-12)))

    assert response.status_code == 200


def test_an_unknown_identity_gets_404_37003(client):
    response = client.get(IDENTITE_PATH, params=demo_params(nomNaissance=SECRET_NAME))

    assert response.status_code == 404
    assert errors_of(response) == [
        {
            "code": "37003",
            "title": "Dossier allocataire absent CNAV",
            "detail": "Le dossier allocataire n'a pas été trouvé auprès de la CNAV.",
            "source": None,
            "meta": {"provider": "CNAV"},
        }
    ]


# -- FranceConnect ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "case_name"),
    [
        ("all_fc", "fake_france_connect_cnaf_2"),
        ("cnaf_qfv2", "fake_france_connect_cnaf"),
    ],
)
def test_a_france_connect_token_file_answers_its_case(server, token, case_name):
    case = next(c for c in FRANCE_CONNECT_CASES if c.name == case_name)

    response = httpx.get(
        server.base_url + FRANCE_CONNECT_PATH,
        params={"recipient": TEST_RECIPIENT},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200
    assert response.json() == case.payload_json()


@pytest.mark.parametrize("case", FRANCE_CONNECT_CASES, ids=lambda case: case.name)
def test_every_france_connect_case_answers_with_its_own_token(server, case):
    response = httpx.get(
        server.base_url + FRANCE_CONNECT_PATH,
        params={"recipient": TEST_RECIPIENT},
        headers={"Authorization": f"Bearer fc-{case.name}"},
    )

    assert response.status_code == case.status
    assert response.json() == case.payload_json()
    assert response.headers["X-Request-ID"]


@pytest.mark.parametrize("token", [DEFAULT_TOKEN, "not-a-france-connect-token", None])
def test_france_connect_needs_a_france_connect_token(server, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(
        server.base_url + FRANCE_CONNECT_PATH,
        params={"recipient": TEST_RECIPIENT},
        headers=headers,
    )

    assert response.status_code == 401
    assert errors_of(response)[0]["code"] == "00101"


def test_france_connect_checks_recipient_and_month(server):
    headers = {"Authorization": "Bearer all_fc"}
    url = server.base_url + FRANCE_CONNECT_PATH

    no_recipient = httpx.get(url, headers=headers)
    future = httpx.get(
        url,
        params={"recipient": TEST_RECIPIENT, "annee": "2999", "mois": "1"},
        headers=headers,
    )

    assert errors_of(no_recipient)[0]["code"] == "00203"
    assert future.status_code == 422
    assert errors_of(future)[0]["source"] == {"parameter": "mois"}


# -- token and recipient -------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {DEFAULT_TOKEN}", "Bearer", "all_fc"],
)
def test_the_identite_route_needs_the_api_token(server, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.get(
        server.base_url + IDENTITE_PATH, params=demo_params(), headers=headers
    )

    assert response.status_code == 401
    assert errors_of(response) == [
        {
            "code": "00101",
            "title": "Interdit",
            "detail": "Votre token n'est pas valide ou n'est pas renseigné",
            "source": {"parameter": "token"},
            "meta": {},
        }
    ]


def test_the_token_is_configurable():
    with running_fake_api(token="jeton-de-test") as base_url:
        accepted = httpx.get(
            base_url + IDENTITE_PATH,
            params=demo_params(),
            headers={"Authorization": "Bearer jeton-de-test"},
        )
        refused = httpx.get(
            base_url + IDENTITE_PATH,
            params=demo_params(),
            headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
        )

    assert accepted.status_code == 200
    assert refused.status_code == 401


@pytest.mark.parametrize(
    ("recipient", "code"),
    [
        (None, "00203"),
        ("", "00203"),
        ("13002526500014", "00210"),  # Luhn fails
        ("1300252650001", "00210"),  # 13 digits
        ("1300252650001A", "00210"),
        ("130 025 265 00013", "00210"),
    ],
)
def test_recipient_must_be_a_siret(client, recipient, code):
    response = client.get(IDENTITE_PATH, params=demo_params(recipient=recipient))

    assert response.status_code == 422
    assert errors_of(response)[0]["code"] == code
    assert errors_of(response)[0]["source"] == {"parameter": "recipient"}


def test_siret_check():
    assert is_valid_siret("13002526500013")
    assert is_valid_siret("21130055300016")  # Marseille's town hall
    assert not is_valid_siret("21130055300017")
    # La Poste: SIREN 356000000, digit sum a multiple of 5 instead of Luhn.
    assert is_valid_siret("35600000000001")
    assert not is_valid_siret("35600000000002")


# -- malformed parameters ----------------------------------------------------------------


def _months_ahead(count: int) -> tuple[int, int]:
    today = paris_today()
    index = today.year * 12 + today.month - 1 + count
    return index // 12, index % 12 + 1


def _month_params(count: int) -> dict[str, int]:
    year, month = _months_ahead(count)
    return {"annee": year, "mois": month}


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"sexeEtatCivil": "X"}, "sexeEtatCivil"),
        ({"sexeEtatCivil": None}, "sexeEtatCivil"),
        ({"codeCogInseeCommuneNaissance": "123"}, "codeCogInseeCommuneNaissance"),
        ({"codeCogInseeCommuneNaissance": "20004"}, "codeCogInseeCommuneNaissance"),
        ({"codeCogInseeCommuneNaissance": None}, "codeCogInseeCommuneNaissance"),
        (
            {"codeCogInseePaysNaissance": "99350"},  # born abroad with a commune
            "codeCogInseeCommuneNaissance",
        ),
        ({"codeCogInseePaysNaissance": "12345"}, "codeCogInseePaysNaissance"),
        ({"codeCogInseePaysNaissance": None}, "codeCogInseePaysNaissance"),
        ({"nomNaissance": None}, "nomNaissance"),
        ({"nomNaissance": "GIRAUD3"}, "nomNaissance"),
        ({"nomUsage": "<script>"}, "nomUsage"),
        ({"prenoms[]": None}, "prenoms[]"),
        ({"prenoms[]": ["ANNE", "MARIE", "LOUISE", "JEANNE"]}, "prenoms[]"),
        ({"prenoms[]": ["ANNE", "M4RIE"]}, "prenoms[]"),
        ({"anneeDateNaissance": "88"}, "anneeDateNaissance"),
        ({"anneeDateNaissance": "2999"}, "anneeDateNaissance"),
        ({"moisDateNaissance": "13"}, "moisDateNaissance"),
        ({"moisDateNaissance": "2", "jourDateNaissance": "30"}, "jourDateNaissance"),
        (
            {"nomCommuneNaissance": "Allauch", "codeCogInseeCommuneNaissance": None},
            "codeCogInseeDepartementNaissance",
        ),
        ({"codeCogInseeDepartementNaissance": "1"}, "codeCogInseeDepartementNaissance"),
        ({"mois": "13"}, "mois"),
        ({"annee": "deux mille"}, "annee"),
        (_month_params(1), "mois"),
        (_month_params(-25), "mois"),
    ],
)
def test_malformed_parameters_get_422(client, overrides, parameter):
    response = client.get(IDENTITE_PATH, params=demo_params(**overrides))

    assert response.status_code == 422
    errors = errors_of(response)
    assert [error["source"] for error in errors] == [{"parameter": parameter}]
    error = errors[0]
    assert error["title"] == "Entité non traitable"
    assert len(error["code"]) == 5
    assert error["code"][:3] in ("003", "004")
    assert error["code"] not in ("00366", "00203", "00210")


def test_the_qf_window_reaches_24_months_back(client):
    response = client.get(IDENTITE_PATH, params=demo_params(**_month_params(-24)))

    assert response.status_code == 200


def test_every_malformed_parameter_is_reported_at_once(client):
    response = client.get(
        IDENTITE_PATH,
        params=demo_params(recipient="123", sexeEtatCivil="H", nomNaissance=None),
    )

    parameters = {error["source"]["parameter"] for error in errors_of(response)}
    assert parameters == {"recipient", "sexeEtatCivil", "nomNaissance"}


def test_prenoms_without_brackets_are_tolerated(client):
    query = [(k, v) for k, v in demo_params() if k != "prenoms[]"] + [
        ("prenoms", "Anne")
    ]

    response = client.get(IDENTITE_PATH, params=query)

    assert response.status_code == 200


# -- headers ----------------------------------------------------------------------------


def test_every_answer_sends_request_id_and_rate_limit_headers(client):
    responses = [
        client.get(IDENTITE_PATH, params=demo_params()),
        client.get(IDENTITE_PATH, params=demo_params(nomNaissance=SECRET_NAME)),
        client.get(IDENTITE_PATH, params=demo_params(sexeEtatCivil="X")),
        client.get(IDENTITE_PATH, params=demo_params(), headers={"Authorization": ""}),
    ]

    assert [r.status_code for r in responses] == [200, 404, 422, 401]
    ids = [r.headers["X-Request-ID"] for r in responses]
    assert all(uuid.UUID(request_id).version == 4 for request_id in ids)
    assert len(set(ids)) == len(ids)
    for response in responses:
        assert response.headers["RateLimit-Limit"] == "20"
        assert int(response.headers["RateLimit-Remaining"]) >= 0
        assert int(response.headers["RateLimit-Reset"]) >= int(time.time())
        assert response.headers["X-Response-Cached"] == "false"
        assert response.headers["Content-Type"].startswith("application/json")
    remaining = [int(r.headers["RateLimit-Remaining"]) for r in responses[:3]]
    assert remaining == [19, 18, 17]


def test_a_repeated_query_is_served_from_the_simulated_cache(client):
    first = client.get(IDENTITE_PATH, params=demo_params())
    second = client.get(IDENTITE_PATH, params=demo_params())
    # Same person written differently: the same query for the API.
    third = client.get(IDENTITE_PATH, params=demo_params(nomNaissance="giraud"))
    forced = client.get(
        IDENTITE_PATH, params=demo_params(), headers={"Cache-Control": "no-cache"}
    )
    other_month = client.get(IDENTITE_PATH, params=demo_params(**_month_params(-1)))

    assert first.headers["X-Response-Cached"] == "false"
    assert first.headers["X-Cache-Expires-in"] == "86400"
    assert second.headers["X-Response-Cached"] == "true"
    assert 0 < int(second.headers["X-Cache-Expires-in"]) <= 86400
    assert third.headers["X-Response-Cached"] == "true"
    assert forced.headers["X-Response-Cached"] == "false"
    assert other_month.headers["X-Response-Cached"] == "false"
    assert second.json() == first.json()


# -- rate limit --------------------------------------------------------------------------


def test_the_rate_limit_answers_429_with_retry_after():
    with running_fake_api(rate_limit=5) as base_url:
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        ) as http:
            statuses = [
                http.get(IDENTITE_PATH, params=demo_params()).status_code
                for _ in range(5)
            ]
            limited = http.get(IDENTITE_PATH, params=demo_params())
            other_token = http.get(
                FRANCE_CONNECT_PATH,
                params={"recipient": TEST_RECIPIENT},
                headers={"Authorization": "Bearer all_fc"},
            )
            time.sleep(int(limited.headers["Retry-After"]))
            after_waiting = http.get(IDENTITE_PATH, params=demo_params())
            stats = FakeApiControl(base_url).stats()

    assert statuses == [200] * 5
    assert limited.status_code == 429
    assert errors_of(limited)[0]["code"] == "00429"
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["RateLimit-Remaining"] == "0"
    assert limited.headers["RateLimit-Limit"] == "5"
    assert other_token.status_code == 200  # the limit is per token
    assert after_waiting.status_code == 200
    assert stats["rate_limited"] == 1
    assert stats["by_status"]["429"] == 1


def test_without_a_limit_none_is_announced():
    with running_fake_api(rate_limit=0) as base_url:
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        ) as http:
            responses = [
                http.get(IDENTITE_PATH, params=demo_params()) for _ in range(30)
            ]
    assert {response.status_code for response in responses} == {200}
    for response in responses:
        assert not [name for name in response.headers if name.startswith("ratelimit")]
        assert response.headers["X-Response-Cached"] in {"true", "false"}


def test_the_rate_limit_holds_under_concurrency():
    # A long window makes the count exact whatever the machine's speed.
    with fake_api_server(rate_limit=20, rate_window=30) as server:
        statuses: Counter[int] = Counter()
        lock = threading.Lock()

        def hammer() -> None:
            with httpx.Client(
                base_url=server.base_url,
                headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
            ) as http:
                for _ in range(5):
                    status = http.get(IDENTITE_PATH, params=demo_params()).status_code
                    with lock:
                        statuses[status] += 1

        threads = [threading.Thread(target=hammer) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert statuses == {200: 20, 429: 30}


def test_the_429_staging_case_also_sends_retry_after(client):
    case = next(c for c in IDENTITE_CASES if c.name == "429")

    response = client.get(IDENTITE_PATH, params=case.query_params(TEST_RECIPIENT))

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"


# -- faults -----------------------------------------------------------------------------


def test_latency_fault_delays_a_normal_answer(client, control):
    control.add_fault("latency", seconds=0.4, times=1)

    started = time.monotonic()
    slow = client.get(IDENTITE_PATH, params=demo_params())
    slow_elapsed = time.monotonic() - started
    started = time.monotonic()
    client.get(IDENTITE_PATH, params=demo_params())
    fast_elapsed = time.monotonic() - started

    assert slow.status_code == 200
    assert slow_elapsed >= 0.4
    assert fast_elapsed < 0.4


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"kind": "status", "status": 500}, 500, "00500"),
        ({"kind": "status", "status": 502}, 502, "37999"),
        ({"kind": "status", "status": 503}, 503, "00503"),
        ({"kind": "status", "status": 504}, 504, "37001"),
        ({"kind": "status", "status": 504, "code": "37002"}, 504, "37002"),
        ({"kind": "status", "status": 504, "code": "00501"}, 504, "00501"),
        ({"kind": "status", "status": 502, "code": "35012"}, 502, "35012"),
        ({"kind": "status", "status": 401, "code": "00103"}, 401, "00103"),
        ({"kind": "status", "status": 403}, 403, "00100"),
        ({"kind": "status", "status": 422, "code": "00366"}, 422, "00366"),
        ({"kind": "conflict"}, 409, "00015"),
    ],
)
def test_status_faults_answer_the_contract_error_bodies(
    client, control, fault, status, code
):
    control.add_faults([{**fault, "times": 2}])

    first = client.get(IDENTITE_PATH, params=demo_params())
    second = client.get(IDENTITE_PATH, params=demo_params())
    third = client.get(IDENTITE_PATH, params=demo_params())

    assert [first.status_code, second.status_code] == [status, status]
    assert errors_of(first)[0]["code"] == code
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert "RateLimit-Limit" in first.headers
    assert third.status_code == 200


def test_the_network_error_body_carries_retry_in(client, control):
    control.add_fault("status", status=504, code="00501")

    response = client.get(IDENTITE_PATH, params=demo_params())

    assert errors_of(response)[0]["meta"] == {"retry_in": 10}


def test_rate_limit_fault_sends_retry_after(client, control):
    control.add_fault("rate_limit", retry_after=7, times=1)

    limited = client.get(IDENTITE_PATH, params=demo_params())

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert errors_of(limited)[0]["code"] == "00429"


def test_html_fault_answers_a_reverse_proxy_page(client, control):
    control.add_fault("html")

    response = client.get(IDENTITE_PATH, params=demo_params())

    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in response.text
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_truncated_fault_cuts_the_json_body(client, control):
    full = client.get(IDENTITE_PATH, params=demo_params())
    control.add_fault("truncated", times=1)

    cut = client.get(IDENTITE_PATH, params=demo_params())

    assert cut.status_code == 200
    assert full.text.startswith(cut.text)
    assert len(cut.content) < len(full.content)
    with pytest.raises(json.JSONDecodeError):
        cut.json()


def test_drop_fault_closes_the_connection_without_answer(client, control):
    control.add_fault("drop", times=1)

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get(IDENTITE_PATH, params=demo_params())
    after = client.get(IDENTITE_PATH, params=demo_params())

    assert after.status_code == 200
    assert control.stats()["dropped"] == 1


def test_faults_are_served_in_order_then_normal_answers(client, control):
    control.add_faults(
        [
            {"kind": "rate_limit", "retry_after": 2, "times": 1},
            {"kind": "status", "status": 503, "times": 2},
            {"kind": "conflict", "times": 1},
        ]
    )

    statuses = [
        client.get(IDENTITE_PATH, params=demo_params()).status_code for _ in range(5)
    ]

    assert statuses == [429, 503, 503, 409, 200]
    assert control.faults() == []


def test_a_fault_without_times_stays_until_cleared(client, control):
    control.add_fault("status", status=504, latency=0.05)
    statuses = [
        client.get(IDENTITE_PATH, params=demo_params()).status_code for _ in range(3)
    ]
    control.clear_faults()

    assert statuses == [504, 504, 504]
    assert client.get(IDENTITE_PATH, params=demo_params()).status_code == 200


def test_base_latency_adds_to_every_answer_and_leaves_faults_working():
    with running_fake_api(latency=0.3) as base_url:
        FakeApiControl(base_url).add_fault("status", status=503, times=1)
        timings, statuses = [], []
        for _ in range(2):
            started = time.monotonic()
            response = httpx.get(
                base_url + IDENTITE_PATH,
                params=demo_params(),
                headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
            )
            timings.append(time.monotonic() - started)
            statuses.append(response.status_code)

    assert statuses == [503, 200]
    assert min(timings) >= 0.3


def test_control_routes_neither_consume_faults_nor_count(client, control):
    control.add_fault("drop", times=1)
    control.health()
    control.faults()

    assert control.stats()["requests"] == 0
    assert len(control.faults()) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "explode"},
        {"kind": "status", "status": 418},
        {"kind": "latency", "latency": -1},
        {"kind": "drop", "times": 0},
        {"kind": "drop", "colour": "red"},
        "not an object",
    ],
)
def test_an_unusable_fault_is_refused(control, fault):
    with pytest.raises(ValueError, match="400|fault|kind|status|latency|times"):
        control.add_faults([fault])


def test_a_hung_request_does_not_hold_up_the_server_shutdown():
    with fake_api_server(faults=[Fault.from_spec("latency:seconds=60")]) as server:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(
                server.base_url + IDENTITE_PATH, params=demo_params(), timeout=0.3
            )
        started = time.monotonic()
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("drop", Fault("drop")),
        ("latency:seconds=2.5", Fault("latency", latency=2.5)),
        (
            "status:status=504,code=37002,times=2",
            Fault("status", status=504, code="37002", times=2),
        ),
        ("conflict", Fault("status", status=409, code="00015")),
        (
            "rate_limit:retry_after=5",
            Fault("status", status=429, code="00429", retry_after=5),
        ),
        ("html", Fault("html", status=502)),
        ('{"kind": "truncated", "times": 1}', Fault("truncated", times=1)),
    ],
)
def test_fault_specs_from_the_command_line(spec, expected):
    assert Fault.from_spec(spec) == expected


def test_a_bad_fault_spec_is_refused():
    with pytest.raises(FaultError):
        Fault.from_spec("status:status")


def test_stats_count_requests_statuses_and_429s(client, control):
    client.get(IDENTITE_PATH, params=demo_params())
    client.get(IDENTITE_PATH, params=demo_params(nomNaissance=SECRET_NAME))
    control.add_fault("status", status=503, times=1)
    client.get(IDENTITE_PATH, params=demo_params())

    stats = control.stats()

    assert stats["requests"] == 3
    assert stats["by_status"] == {"200": 1, "404": 1, "503": 1}
    assert stats["by_route"] == {"identite": 3}
    assert stats["faults"] == 1
    assert stats["rate_limited"] == 0
    assert stats["first_request_at"] <= stats["last_request_at"]


def test_other_routes_and_methods(server, client):
    assert client.get("/v3/dss/quotient_familial").status_code == 404
    assert client.post(IDENTITE_PATH).status_code == 405
    assert client.get("/__fake__/nothing").status_code == 404


# -- logs --------------------------------------------------------------------------------


def test_log_lines_hold_neither_query_string_nor_token(client, caplog):
    caplog.set_level(logging.INFO, logger="qf_connector.fakeapi")

    ok = client.get(IDENTITE_PATH, params=demo_params(nomUsage=SECRET_NAME))
    client.get(IDENTITE_PATH, params=demo_params(nomNaissance=SECRET_NAME))

    # Only the fake server's records: httpx logs the full URL of its own requests.
    text = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("qf_connector.fakeapi")
    )
    assert f"GET {IDENTITE_PATH} 200 {ok.headers['X-Request-ID']}" in text
    for secret in (
        SECRET_NAME,
        "GIRAUD",
        "recipient",
        "?",
        DEFAULT_TOKEN,
        TEST_RECIPIENT,
    ):
        assert secret not in text


def test_the_process_logs_hold_neither_query_string_nor_token(tmp_path):
    log_file = tmp_path / "fakeapi.log"
    with log_file.open("w") as stderr:
        with running_fake_api_process(stderr=stderr, token="jeton-Qx7") as base_url:
            headers = {"Authorization": "Bearer jeton-Qx7"}
            ok = httpx.get(
                base_url + IDENTITE_PATH,
                params=demo_params(nomUsage=SECRET_NAME),
                headers=headers,
            )
            httpx.get(
                base_url + IDENTITE_PATH,
                params=demo_params(nomNaissance=SECRET_NAME),
                headers=headers,
            )
            # A request line http.server cannot parse: its own log would quote it.
            host, port = base_url.removeprefix("http://").split(":")
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                raw.sendall(
                    f"GET {IDENTITE_PATH}?nomNaissance={SECRET_NAME} HTTP/9\r\n"
                    "Authorization: Bearer jeton-Qx7\r\n\r\n".encode()
                )
                raw.recv(4096)
    text = log_file.read_text()

    assert ok.status_code == 200
    assert f"GET {IDENTITE_PATH} 200 {ok.headers['X-Request-ID']}" in text
    assert "malformed" in text
    for secret in (SECRET_NAME, "GIRAUD", "jeton-Qx7", "nomNaissance", "?"):
        assert secret not in text


# -- the process form and the command line -------------------------------------------------


def test_the_subprocess_serves_cases_and_command_line_faults():
    with running_fake_api_process(
        rate_limit=3, rate_window=30, faults=["status:status=503,times=1"]
    ) as base_url:
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        ) as http:
            statuses = [
                http.get(IDENTITE_PATH, params=demo_params()).status_code
                for _ in range(5)
            ]
        health = FakeApiControl(base_url).health()

    # The fault does not count against the rate limit; 3 answers, then 429.
    assert statuses == [503, 200, 200, 200, 429]
    assert health["status"] == "ok"


def test_the_command_line_refuses_a_missing_cases_folder(tmp_path):
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "qf_connector.fakeapi",
            "--cases",
            str(tmp_path / "missing"),
        ],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert "no such case folder" in result.stderr


def test_the_package_imports_no_django():
    code = (
        "import sys, qf_connector.fakeapi.__main__, qf_connector.fakeapi.testing;"
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=REPOSITORY_ROOT, timeout=30, check=False
    )

    assert result.returncode == 0


# -- the demo family and the shipped cases -------------------------------------------------


def test_the_demo_allocataire_is_a_staging_case(client):
    document = yaml.safe_load(
        (staging_dir() / "v3_quotient_familial_identite" / DEMO_CASE_FILE).read_text()
    )
    payload = json.loads(document["payload"])
    params = dict(document["params"])
    params["prenoms[]"] = params.pop("prenoms")

    response = client.get(IDENTITE_PATH, params=demo_params())

    assert params == DEMO_QUERY
    assert response.status_code == 200
    assert response.json() == payload
    quotient = payload["data"]["quotient_familial"]
    assert {key: quotient[key] for key in DEMO_QUOTIENT} == DEMO_QUOTIENT
    children = [
        {
            key: child[key]
            for key in ("nom_naissance", "prenoms", "date_naissance", "sexe")
        }
        for child in payload["data"]["enfants"]
    ]
    assert children == list(DEMO_CHILDREN)
    assert DEMO_ALLOCATAIRE["birth_name"] == params["nomNaissance"]
    assert DEMO_ALLOCATAIRE["birth_date"] == "1988-12-01"


def test_the_staging_cases_ship_inside_the_package_with_their_licence():
    package = Path(fake_api_module.__file__).resolve().parent
    assert staging_dir() == package / "staging"
    assert "MIT License" in (staging_dir() / "LICENSE").read_text(encoding="utf-8")
    readme = (staging_dir() / "README.md").read_text(encoding="utf-8")
    assert "etalab/siade_staging_data" in readme
    for case in (*IDENTITE_CASES, *FRANCE_CONNECT_CASES):
        assert case.file.is_relative_to(package)
    assert len(IDENTITE_CASES) >= 20 and len(FRANCE_CONNECT_CASES) >= 10


# -- matching ------------------------------------------------------------------------------


def test_normalise_text():
    assert matching.normalise_text(" Gérôme-Jean  d’Arc ") == "GEROME JEAN D ARC"
    assert matching.normalise_text("ANO'NYMOS-LONS") == "ANO NYMOS LONS"
    assert matching.normalise_text("Lætitia Œuvrard") == "LAETITIA OEUVRARD"


def test_best_match_prefers_the_case_naming_the_most_parameters():
    broad = {"nomNaissance": "LEFEBVRE"}
    narrow = {"nomNaissance": "LEFEBVRE", "anneeDateNaissance": 1982}
    other = {"nomNaissance": "LEFEBVRE", "anneeDateNaissance": 1983, "mois": 1}
    candidates = [(broad, "broad"), (narrow, "narrow"), (other, "other")]

    assert matching.best_match({**narrow, "mois": 5}, candidates) == "narrow"
    assert matching.best_match({"nomNaissance": "LEFEBVRE"}, candidates) == "broad"
    assert matching.best_match({"nomNaissance": "DUPONT"}, candidates) is None
