"""The JSON error bodies the fake server answers, following CONTRACT.md and the OpenAPI.

Every body has the API's shape: ``{"errors": [{"code", "title", "detail", "source",
"meta"}]}`` with a 5-character string code.

The OpenAPI documents, for the quotient familial routes, only ``00366`` and ``00203``
among the 422 bodies, plus ``00210`` (recipient not a SIRET) in CONTRACT.md. The
per-parameter codes below (``00420``-``00427``) are this fake server's own choice
inside the contract's "other 003xx, 004xx: a parameter is malformed" range; ``00427``
reuses the text the OpenAPI gives for a missing ``sexeEtatCivil`` on another route. A
client must key on the range and on ``source.parameter``, never on these exact codes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

UNPROCESSABLE = "Entité non traitable"


@dataclass(frozen=True)
class ApiError:
    """One entry of an ``errors`` list."""

    code: str
    title: str
    detail: str
    parameter: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        source = {"parameter": self.parameter} if self.parameter else None
        return {
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "source": source,
            "meta": dict(self.meta),
        }


def error_body(*errors: ApiError) -> bytes:
    return json.dumps(
        {"errors": [error.as_dict() for error in errors]}, ensure_ascii=False
    ).encode()


# -- authentication ----------------------------------------------------------------

INVALID_TOKEN = ApiError(
    "00101",
    "Interdit",
    "Votre token n'est pas valide ou n'est pas renseigné",
    parameter="token",
)

# -- recipient -----------------------------------------------------------------------

RECIPIENT_MISSING = ApiError(
    "00203",
    UNPROCESSABLE,
    "Le paramètre recipient est obligatoire",
    parameter="recipient",
)
RECIPIENT_NOT_SIRET = ApiError(
    "00210",
    UNPROCESSABLE,
    "Le paramètre recipient n'est pas un siret valide",
    parameter="recipient",
)

# -- malformed parameters (fake server's codes, see the module docstring) ------------

PARAMETER_CODES: dict[str, str] = {
    "nomNaissance": "00420",
    "prenoms[]": "00421",
    "anneeDateNaissance": "00422",
    "moisDateNaissance": "00422",
    "jourDateNaissance": "00422",
    "codeCogInseePaysNaissance": "00423",
    "codeCogInseeCommuneNaissance": "00424",
    "nomCommuneNaissance": "00424",
    "codeCogInseeDepartementNaissance": "00424",
    "nomUsage": "00425",
    "annee": "00426",
    "mois": "00426",
    "sexeEtatCivil": "00427",
}


def invalid_parameter(parameter: str, detail: str) -> ApiError:
    return ApiError(
        PARAMETER_CODES[parameter], UNPROCESSABLE, detail, parameter=parameter
    )


# -- identity and provider outcomes ----------------------------------------------------

NOT_FOUND_CNAV = ApiError(
    "37003",
    "Dossier allocataire absent CNAV",
    "Le dossier allocataire n'a pas été trouvé auprès de la CNAV.",
    meta={"provider": "CNAV"},
)

TOO_MANY_REQUESTS = ApiError(
    "00429", "Trop de requêtes", "Vous avez effectué trop de requêtes"
)

# Bodies a fault can ask for by (status, code). The first code of each status is its
# default. 500 and 503 have no code in the contract (API Particulier itself is down):
# the fake server still sends a JSON error list, with codes of its own.
CATALOGUE: dict[int, dict[str, ApiError]] = {
    401: {
        "00101": INVALID_TOKEN,
        "00103": ApiError(
            "00103",
            "Jeton expiré",
            "Votre token est expiré. Vous devez refaire une demande",
            parameter="token",
        ),
        "00105": ApiError(
            "00105",
            "Jeton sur liste noire",
            "Votre jeton est sur liste noire, celui-ci a certainement été divulgué "
            "sur un canal non-sécurisé.",
            parameter="token",
        ),
    },
    403: {
        "00100": ApiError(
            "00100",
            "Privilèges insuffisants",
            "Votre token est valide mais vos privilèges sont insuffisants.",
            parameter="token",
        ),
    },
    404: {
        "37003": NOT_FOUND_CNAV,
        "23003": ApiError(
            "23003",
            "Dossier allocataire absent CNAF",
            "Le dossier allocataire n'a pas été trouvé auprès de la CNAF.",
            meta={"provider": "CNAF"},
        ),
        "10003": ApiError(
            "10003",
            "Dossier allocataire absent MSA",
            "Le dossier allocataire n'a pas été trouvé auprès de la MSA.",
            meta={"provider": "MSA"},
        ),
        "35003": ApiError(
            "35003",
            "Allocataire non référencé",
            "L'allocataire n'est pas référencé auprès des caisses éligibles",
            meta={"provider": "CNAF & MSA"},
        ),
    },
    409: {
        "00015": ApiError(
            "00015",
            "Conflit",
            "Une requête associé à votre jeton est déjà en cours de traitement pour "
            "ces paramètres. Veuillez attendre la fin du traitement avant "
            "d'effectuer une nouvelle requête.",
        ),
    },
    422: {
        "00366": ApiError(
            "00366",
            UNPROCESSABLE,
            "Un ou plusieurs paramètres de civilité ne sont pas correctement formatés",
        ),
        "00203": RECIPIENT_MISSING,
        "00210": RECIPIENT_NOT_SIRET,
    },
    429: {"00429": TOO_MANY_REQUESTS},
    500: {
        "00500": ApiError(
            "00500",
            "Erreur interne",
            "Une erreur interne s'est produite, l'équipe a été prévenue.",
        ),
    },
    502: {
        "37999": ApiError(
            "37999",
            "Erreur inconnue du fournisseur de données",
            "La réponse retournée par le fournisseur de données est invalide et "
            "inconnue de notre service.",
            meta={"provider": "CNAV"},
        ),
    },
    503: {
        "00503": ApiError(
            "00503",
            "Service indisponible",
            "Le service est momentanément indisponible, en maintenance.",
        ),
    },
    504: {
        "37001": ApiError(
            "37001",
            "Service non disponible",
            "Service du fournisseur de données temporairement indisponible ou en "
            "maintenance.",
            meta={"provider": "CNAV"},
        ),
        "37002": ApiError(
            "37002",
            "Intermédiaire hors-délai",
            "Temps d’attente d’une réponse du fournisseur de données écoulé.",
            meta={"provider": "CNAV"},
        ),
        "00501": ApiError(
            "00501",
            "Erreur réseau",
            "Problème de connexion au serveur distant. Il s'agit souvent d'une "
            "erreur temporaire.",
            meta={"retry_in": 10},
        ),
        "37004": ApiError(
            "37004",
            "Erreur de résolution DNS",
            "Problème de résolution DNS de l'adresse du serveur",
            meta={"provider": "CNAV"},
        ),
        "37008": ApiError(
            "37008",
            "Erreur auprès du fournisseur de données : trop de requêtes",
            "Erreur de fournisseur de donnée : Trop de requêtes effectuées, veuillez "
            "réessayer plus tard.",
            meta={"provider": "CNAV"},
        ),
    },
}


def catalogue_error(status: int, code: str | None = None) -> ApiError:
    """The documented body for ``status`` (and ``code``); unknown codes get a generic
    body so that, e.g., a 502 ``35xxx`` provider error can still be simulated."""
    by_code = CATALOGUE.get(status)
    if by_code is None:
        return ApiError(code or f"{status:05d}", "Erreur", f"Erreur HTTP {status}")
    if code is None:
        return next(iter(by_code.values()))
    if code in by_code:
        return by_code[code]
    return ApiError(code, "Erreur du fournisseur de données", f"Erreur HTTP {status}")
