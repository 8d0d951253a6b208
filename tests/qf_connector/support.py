"""Helpers shared by the qf_connector tests: a fake clock and ready-made API bodies."""

from __future__ import annotations

import threading

import httpx

from qf_connector.client import QuotientClient
from qf_connector.identity import Identity

BASE_URL = "http://api-particulier.test"
TOKEN = "jeton-secret-Zx81QvT"  # distinctive, so that a leak is easy to find
RECIPIENT = "13002526500013"  # DINUM's SIRET, as in the API documentation
IDENTITY_PATH = "/v3/dss/quotient_familial/identite"
FRANCE_CONNECT_PATH = "/v3/dss/quotient_familial/france_connect"


class FakeClock:
    """Monotonic clock whose ``sleep`` only moves time forward (and remembers it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def make_client(clock: FakeClock | None = None, **kwargs) -> QuotientClient:
    if clock is not None:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("sleep", clock.sleep)
    kwargs.setdefault("rate", 1000.0)
    return QuotientClient(BASE_URL, kwargs.pop("token", TOKEN), RECIPIENT, **kwargs)


def identity(**overrides) -> Identity:
    values = {
        "birth_name": "ZORGLUBIEN",
        "first_names": ["Anatolie", "Berthe-Ysé"],
        "sex": "F",
        "birth_date": "1987-06-27",
        "birth_commune": "08480",
    }
    values.update(overrides)
    return Identity.create(**values)


def success_body(valeur=712, fournisseur="CNAF", enfants=None, **quotient) -> dict:
    qf = {
        "fournisseur": fournisseur,
        "valeur": valeur,
        "annee": 2026,
        "mois": 10,
        "annee_calcul": 2026,
        "mois_calcul": 9,
    }
    qf.update(quotient)
    data = {
        "quotient_familial": qf,
        "allocataires": [
            {
                "nom_naissance": "ZORGLUBIEN",
                "nom_usage": None,
                "prenoms": "ANATOLIE",
                "date_naissance": "1987-06-27",
                "sexe": "F",
            }
        ],
        "enfants": (
            [
                {
                    "nom_naissance": "ZORGLUBIEN",
                    "nom_usage": None,
                    "prenoms": "ALEXIS",
                    "date_naissance": "2016-00-00",
                    "sexe": "M",
                }
            ]
            if enfants is None
            else enfants
        ),
        "adresse": {"destinataire": "Madame ZORGLUBIEN", "pays": "FRANCE"},
    }
    return {"data": data, "links": {}, "meta": {}}


def error_body(code: str, parameter: str | None = None, **meta) -> dict:
    return {
        "errors": [
            {
                "code": code,
                "title": "Erreur",
                "detail": "Détail de l'erreur",
                "source": {"parameter": parameter} if parameter else None,
                "meta": meta,
            }
        ]
    }


def json_response(
    status: int, body: dict, headers: dict | None = None
) -> httpx.Response:
    headers = {"X-Request-ID": f"req-{status}", **(headers or {})}
    return httpx.Response(status, json=body, headers=headers)
