"""Every public staging case, through real HTTP to the fake server, gives what its payload says."""

from __future__ import annotations

from datetime import date

import pytest

from qf_connector.errors import ErrorKind, QuotientError
from qf_connector.fakeapi.testing import (
    FRANCE_CONNECT,
    IDENTITE,
    load_cases,
)
from qf_connector.identity import Identity, QfMonth

IDENTITE_CASES = load_cases().cases[IDENTITE]
FRANCE_CONNECT_CASES = load_cases().cases[FRANCE_CONNECT]

EXPECTED_KINDS = {
    404: ErrorKind.NO_FILE,
    429: ErrorKind.RATE_LIMITED,
    504: ErrorKind.UNAVAILABLE,
}


def identity_of(params) -> Identity:
    """The case's ``params`` as the portal would fill them in."""
    birth = [
        params.get(key)
        for key in ("anneeDateNaissance", "moisDateNaissance", "jourDateNaissance")
    ]
    parts = []
    for part in birth:
        if part in (None, ""):
            break
        parts.append(f"{int(part):02d}")
    country = str(params.get("codeCogInseePaysNaissance") or "99100")
    prenoms = params.get("prenoms") or ["INCONNU"]  # 404.yaml names no first name
    return Identity.create(
        birth_name=params["nomNaissance"],
        first_names=[prenoms] if isinstance(prenoms, str) else list(prenoms),
        sex=params["sexeEtatCivil"],
        birth_date="-".join(parts) or None,
        birth_commune=params.get("codeCogInseeCommuneNaissance")
        if country == "99100"
        else None,
        birth_country=country,
    )


def assert_matches_payload(outcome, case):
    payload = case.payload_json()
    if case.status == 200:
        quotient = payload["data"]["quotient_familial"]
        assert not isinstance(outcome, QuotientError), outcome.as_dict()
        assert outcome.value == quotient["valeur"]
        assert outcome.provider == quotient["fournisseur"]
        assert (outcome.year, outcome.month) == (quotient["annee"], quotient["mois"])
        assert (outcome.computation_year, outcome.computation_month) == (
            quotient["annee_calcul"],
            quotient["mois_calcul"],
        )
        assert [child.as_api_dict() for child in outcome.children] == payload["data"][
            "enfants"
        ]
        assert outcome.request_id
    else:
        assert isinstance(outcome, QuotientError)
        assert outcome.kind is EXPECTED_KINDS[case.status]
        assert outcome.status == case.status
        assert outcome.code == payload["errors"][0]["code"]


def run(lookup):
    try:
        return lookup()
    except QuotientError as error:
        return error


def test_the_staging_cases_are_all_there():
    assert len(IDENTITE_CASES) == 22
    assert len(FRANCE_CONNECT_CASES) == 14


@pytest.mark.parametrize("case", IDENTITE_CASES, ids=lambda case: case.name)
def test_identite_case(case, qf_client_factory):
    month = None
    today = None
    if case.month is not None:
        # A case frozen in its month (ROUX, May 2023): ask for that month as if on
        # that date, since the portal refuses months beyond the 24-month window.
        month = QfMonth(*case.month)
        today = date(case.month[0], case.month[1], 15)
    client = qf_client_factory(
        max_attempts=2, **({"today": lambda: today} if today else {})
    )
    outcome = run(lambda: client.lookup_by_identity(identity_of(case.params), month))
    assert_matches_payload(outcome, case)


@pytest.mark.parametrize("case", FRANCE_CONNECT_CASES, ids=lambda case: case.name)
def test_france_connect_case(case, qf_client_factory):
    client = qf_client_factory(max_attempts=2)
    # The fake server gives every FranceConnect case a token of its own.
    outcome = run(lambda: client.lookup_by_france_connect(f"fc-{case.name}"))
    assert_matches_payload(outcome, case)


@pytest.mark.parametrize(
    ("token", "case_name"),
    [
        ("all_fc", "fake_france_connect_cnaf_2"),
        ("cnaf_qfv2", "fake_france_connect_cnaf"),
    ],
)
def test_staging_france_connect_tokens(token, case_name, qf_client_factory):
    [case] = [case for case in FRANCE_CONNECT_CASES if case.name == case_name]
    client = qf_client_factory()
    assert_matches_payload(run(lambda: client.lookup_by_france_connect(token)), case)


def test_unknown_france_connect_token_is_a_session_problem(qf_client_factory):
    client = qf_client_factory()
    with pytest.raises(QuotientError) as caught:
        client.lookup_by_france_connect("fc-personne")
    assert caught.value.kind is ErrorKind.CONFIGURATION
    assert caught.value.status == 401
    assert "FranceConnect" in caught.value.message
