"""Tolerant matching of a request's civil status against the staging cases' ``params``.

The sandbox forgives case, accents, hyphens, apostrophes and spacing; so does this
module, by reducing every value to a canonical form before comparing. A case names
only the parameters it was written with: a parameter it omits matches anything, and
among the cases that match, the one naming the most parameters wins. That keeps the
staging sets apart: the LEFEBVRE "full birth date", "year only" and "no birth date"
cases each answer the query written in their own file.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

# Parameter names as the API spells them; ``prenoms`` is the list behind ``prenoms[]``.
NOM = "nomNaissance"
PRENOMS = "prenoms"
SEXE = "sexeEtatCivil"
PAYS = "codeCogInseePaysNaissance"
COMMUNE = "codeCogInseeCommuneNaissance"
NOM_COMMUNE = "nomCommuneNaissance"
DEPARTEMENT = "codeCogInseeDepartementNaissance"
ANNEE_NAISSANCE = "anneeDateNaissance"
MOIS_NAISSANCE = "moisDateNaissance"
JOUR_NAISSANCE = "jourDateNaissance"
ANNEE = "annee"
MOIS = "mois"

TEXT_KEYS = (NOM, NOM_COMMUNE)
CODE_KEYS = (SEXE, PAYS, COMMUNE, DEPARTEMENT)
INT_KEYS = (ANNEE_NAISSANCE, MOIS_NAISSANCE, JOUR_NAISSANCE, ANNEE, MOIS)
IDENTITY_KEYS = (PRENOMS, *TEXT_KEYS, *CODE_KEYS, *INT_KEYS)

# Separators people type in names: hyphens and dashes, apostrophes of every kind.
_SEPARATORS = str.maketrans(
    {
        "-": " ",
        "\u2010": " ",
        "\u2011": " ",
        "\u2013": " ",
        "\u2014": " ",
        "'": " ",
        "\u2019": " ",
        "\u2018": " ",
        "\u02bc": " ",
        "`": " ",
        "\u00b4": " ",
    }
)


def normalise_text(value: object) -> str:
    """``"Gérôme-Jean d’Arc"`` → ``"GEROME JEAN D ARC"``."""
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(char for char in text if not unicodedata.combining(char))
    # Ligatures NFKD leaves alone.
    text = text.replace("Œ", "OE").replace("œ", "oe").replace("Æ", "AE")
    text = text.replace("æ", "ae").replace("ß", "ss")
    return " ".join(text.translate(_SEPARATORS).upper().split())


def normalise_code(value: object) -> str:
    """COG codes and the sex: trimmed, upper case (``2a004`` → ``2A004``); YAML may
    have read an unquoted code as an integer, so give it back its leading zeros."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:05d}"
    return str(value).strip().upper()


def normalise_int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def canonical_identity(params: Mapping[str, Any]) -> dict[str, object]:
    """The comparable form of a case's or a request's parameters.

    ``params[PRENOMS]`` is a list (or a single string); the first names are compared
    as one string, so ``["JEAN-PIERRE"]`` and ``["Jean Pierre"]`` are the same. As
    the API does, a birth day is ignored without its month and a month without its
    year. Keys absent from ``params`` are absent from the result.
    """
    identity: dict[str, object] = {}
    prenoms = params.get(PRENOMS)
    if prenoms is not None:
        if isinstance(prenoms, str):
            prenoms = [prenoms]
        joined = normalise_text(" ".join(str(prenom) for prenom in prenoms))
        if joined:
            identity[PRENOMS] = joined
    for key in TEXT_KEYS:
        if params.get(key) not in (None, ""):
            identity[key] = normalise_text(params[key])
    for key in CODE_KEYS:
        if params.get(key) not in (None, ""):
            identity[key] = normalise_code(params[key])
    for key in INT_KEYS:
        if params.get(key) not in (None, ""):
            number = normalise_int(params[key])
            if number is not None:
                identity[key] = number
    if ANNEE_NAISSANCE not in identity:
        identity.pop(MOIS_NAISSANCE, None)
    if MOIS_NAISSANCE not in identity:
        identity.pop(JOUR_NAISSANCE, None)
    return identity


T = TypeVar("T")


def best_match(
    request: Mapping[str, object], candidates: Iterable[tuple[Mapping[str, object], T]]
) -> T | None:
    """The candidate whose identity agrees with ``request`` on every key it names,
    naming the most keys; ``None`` when none agrees. Ties go to the first candidate
    (cases are loaded in file-name order, so the answer is stable)."""
    best: T | None = None
    best_size = -1
    for identity, value in candidates:
        if len(identity) <= best_size:
            continue
        if all(request.get(key) == expected for key, expected in identity.items()):
            best, best_size = value, len(identity)
    return best
