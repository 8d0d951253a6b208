"""Loading the staging case files and FranceConnect tokens the fake server answers from.

A case file (``params``, ``status``, ``payload``) serves ``/france_connect`` when a
folder on its path, from the folder given on the command line down, has
``france_connect`` in its name, and ``/identite`` otherwise. A file whose ``params``
hold a ``token`` is a fake FranceConnect introspection result: that token, sent as
the bearer to ``/france_connect``, stands for the identity in its payload.

Only two of the staging FranceConnect cases have such a token file (``all_fc`` and
``cnaf_qfv2``); so that every case can be reached, each FranceConnect case also gets
a token of this fake server's own, ``fc-<file name without extension>`` (for
instance ``fc-france_connect_200_cnaf_2_parents_3_mineurs``), standing for the
case's own ``params``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import matching as m

IDENTITE = "identite"
FRANCE_CONNECT = "france_connect"
ROUTES = {
    "/v3/dss/quotient_familial/identite": IDENTITE,
    "/v3/dss/quotient_familial/france_connect": FRANCE_CONNECT,
}
SYNTHETIC_TOKEN_PREFIX = "fc-"  # noqa: S105 - a prefix of fake test tokens
CASE_SUFFIXES = (".yaml", ".yml")

# The demo family (``make demo``): staging case 200-giraud-anne-3_enfants.yaml, a
# CNAF allocataire with a QF of 1200 and three children, two of them of an age for
# the commune's activities. The keys follow ``qf_connector.identity.Identity``;
# ``DEMO_QUERY`` is the same person as API Particulier parameters.
DEMO_CASE_FILE = "200-giraud-anne-3_enfants.yaml"
DEMO_ALLOCATAIRE: dict[str, Any] = {
    "birth_name": "GIRAUD",
    "first_names": ("ANNE",),
    "sex": "F",
    "birth_date": "1988-12-01",
    "birth_commune": "13002",
    "birth_country": "99100",
}
DEMO_QUERY: dict[str, Any] = {
    "nomNaissance": "GIRAUD",
    "prenoms[]": ["ANNE"],
    "sexeEtatCivil": "F",
    "anneeDateNaissance": 1988,
    "moisDateNaissance": 12,
    "jourDateNaissance": 1,
    "codeCogInseeCommuneNaissance": "13002",
    "codeCogInseePaysNaissance": "99100",
}
DEMO_CHILDREN: tuple[dict[str, str], ...] = (
    {
        "nom_naissance": "GIRAUD",
        "prenoms": "INES",
        "date_naissance": "2004-03-30",
        "sexe": "F",
    },
    {
        "nom_naissance": "GIRAUD",
        "prenoms": "SARAH",
        "date_naissance": "2012-07-12",
        "sexe": "F",
    },
    {
        "nom_naissance": "GIRAUD",
        "prenoms": "LEA",
        "date_naissance": "2018-11-25",
        "sexe": "F",
    },
)
DEMO_QUOTIENT = {"fournisseur": "CNAF", "valeur": 1200, "annee": 2023, "mois": 6}


class CaseFileError(ValueError):
    """A case or token file the server cannot use (raised at start-up, not later)."""


STAGING_DIR = Path(__file__).resolve().parent / "staging"


def staging_dir() -> Path:
    """The staging cases shipped with this package (``staging/``, copied from
    ``etalab/siade_staging_data``, MIT licence: see its README): pass it as ``--cases``
    to serve every identite case, every FranceConnect case and the FranceConnect
    tokens."""
    return STAGING_DIR


@dataclass(frozen=True)
class Case:
    route: str
    file: Path
    params: Mapping[str, Any]
    identity: Mapping[str, object]
    status: int
    payload: str

    @property
    def name(self) -> str:
        return self.file.stem

    @property
    def month(self) -> tuple[int, int] | None:
        """The QF month the case is written for, when it names one."""
        year, month = self.identity.get(m.ANNEE), self.identity.get(m.MOIS)
        if isinstance(year, int) and isinstance(month, int):
            return year, month
        return None

    def payload_json(self) -> Any:
        return json.loads(self.payload)

    def query_params(self, recipient: str | None = None) -> list[tuple[str, str]]:
        """The case's ``params`` as a query (``prenoms`` → repeated ``prenoms[]``),
        ready for ``httpx``'s ``params=``; with ``recipient`` first when given."""
        query = [("recipient", recipient)] if recipient else []
        for key, value in self.params.items():
            if key == m.PRENOMS:
                values = [value] if isinstance(value, str) else list(value)
                query.extend(("prenoms[]", str(prenom)) for prenom in values)
            elif key in m.CODE_KEYS:
                query.append((key, m.normalise_code(value)))
            else:
                query.append((key, str(value)))
        return query


@dataclass(frozen=True)
class FranceConnectToken:
    token: str
    identity: Mapping[str, object]
    source: str


@dataclass
class CaseBook:
    cases: dict[str, list[Case]] = field(
        default_factory=lambda: {IDENTITE: [], FRANCE_CONNECT: []}
    )
    tokens: dict[str, FranceConnectToken] = field(default_factory=dict)

    @classmethod
    def load(cls, dirs: Iterable[Path | str]) -> CaseBook:
        book = cls()
        for given in dirs:
            root = Path(given)
            if root.is_file():
                book._load_file(root, (root.parent.name,))
                continue
            if not root.is_dir():
                raise CaseFileError(f"no such case folder: {root}")
            for file in sorted(root.rglob("*")):
                if file.suffix in CASE_SUFFIXES and file.is_file():
                    folders = (root.name, *file.relative_to(root).parent.parts)
                    book._load_file(file, folders)
        for case in book.cases[FRANCE_CONNECT]:
            token = SYNTHETIC_TOKEN_PREFIX + case.name
            book.tokens.setdefault(
                token,
                FranceConnectToken(token, _without_month(case.identity), case.name),
            )
        return book

    def _load_file(self, file: Path, folders: tuple[str, ...]) -> None:
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise CaseFileError(f"{file}: {error}") from error
        if not isinstance(document, dict) or not isinstance(
            document.get("params"), dict
        ):
            raise CaseFileError(f"{file}: no 'params' mapping")
        params = document["params"]
        try:
            status = int(document["status"])
            payload = str(document["payload"])
        except (KeyError, TypeError, ValueError) as error:
            raise CaseFileError(f"{file}: needs 'status' and 'payload'") from error
        if "token" in params:
            token = str(params["token"])
            self.tokens[token] = FranceConnectToken(
                token, _introspected_identity(file, payload), file.name
            )
            return
        route = (
            FRANCE_CONNECT
            if any(FRANCE_CONNECT in folder for folder in folders)
            else IDENTITE
        )
        self.cases[route].append(
            Case(
                route=route,
                file=file,
                params=params,
                identity=m.canonical_identity(params),
                status=status,
                payload=payload,
            )
        )

    def match(self, route: str, identity: Mapping[str, object]) -> Case | None:
        return m.best_match(
            identity, ((case.identity, case) for case in self.cases[route])
        )

    def frozen_months(self, route: str) -> frozenset[tuple[int, int]]:
        return frozenset(
            case.month for case in self.cases[route] if case.month is not None
        )

    def summary(self) -> str:
        return (
            f"{len(self.cases[IDENTITE])} identite cases, "
            f"{len(self.cases[FRANCE_CONNECT])} france_connect cases, "
            f"{len(self.tokens)} FranceConnect tokens"
        )


def _without_month(identity: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in identity.items() if k not in (m.ANNEE, m.MOIS)}


_GENDERS = {"male": "M", "female": "F", "m": "M", "f": "F"}


def identity_from_claims(claims: Mapping[str, Any]) -> dict[str, object]:
    """The civil status FranceConnect's pivot identity claims carry, as canonical
    params (raises KeyError, TypeError or ValueError when they are not one)."""
    birth_year, birth_month, birth_day = str(claims["birthdate"]).split("-")
    params: dict[str, Any] = {
        m.NOM: claims["family_name"],
        m.PRENOMS: claims.get("given_name_array") or str(claims["given_name"]).split(),
        m.SEXE: _GENDERS.get(str(claims.get("gender", "")).lower(), ""),
        m.ANNEE_NAISSANCE: birth_year,
        m.MOIS_NAISSANCE: birth_month,
        m.JOUR_NAISSANCE: birth_day,
        m.PAYS: claims.get("birthcountry", ""),
        m.COMMUNE: claims.get("birthplace", ""),
    }
    return m.canonical_identity(params)


def _introspected_identity(file: Path, payload: str) -> dict[str, object]:
    """The civil status a FranceConnect introspection result carries, as params."""
    try:
        return identity_from_claims(json.loads(payload)["token_introspection"])
    except (KeyError, TypeError, ValueError) as error:
        raise CaseFileError(f"{file}: not a FranceConnect introspection") from error
