"""The parameter checks API Particulier makes before looking anyone up (answered 422).

Deliberately written apart from the client's own validation (``qf_connector.identity``)
and from ``home.siret``: the fake server is the oracle the client is tested against,
so a shared bug must not hide on both sides.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from home.siret import is_valid_siret

from . import matching as m
from .errors import (
    RECIPIENT_MISSING,
    RECIPIENT_NOT_SIRET,
    ApiError,
    invalid_parameter,
)

FRANCE = "99100"
MAX_PRENOMS = 3
QF_HISTORY_MONTHS = 24
COG_COMMUNE_RE = re.compile(r"^([013-9]\d|2[AB1-9])\d{3}$")
COG_PAYS_RE = re.compile(r"^99\d{3}$")
DEPARTEMENT_RE = re.compile(r"^(\d{2}|2[AB]|97\d)$")
_NAME_PUNCTUATION = frozenset(" '-\u2019")

Query = Mapping[str, Sequence[str]]


def paris_today() -> date:
    """The API lives in Paris: the "current month" turns at midnight there."""
    try:
        return datetime.now(ZoneInfo("Europe/Paris")).date()
    except ZoneInfoNotFoundError:  # no tz database: close enough for a fake
        return datetime.now().date()


def first(query: Query, name: str) -> str | None:
    """The first value of a single-valued parameter, ``None`` when absent or blank."""
    values = query.get(name)
    if not values:
        return None
    value = values[0].strip()
    return value or None


def prenoms_of(query: Query) -> list[str]:
    """``prenoms[]`` as repeated keys; ``prenoms`` and ``prenoms[0]`` are tolerated."""
    values: list[str] = []
    for name in sorted(query, key=_prenoms_key_order):
        if (
            name == "prenoms[]"
            or name == "prenoms"
            or re.fullmatch(r"prenoms\[\d+\]", name)
        ):
            values.extend(query[name])
    return [value.strip() for value in values if value.strip()]


def _prenoms_key_order(name: str) -> tuple[int, str]:
    index = re.fullmatch(r"prenoms\[(\d+)\]", name)
    return (int(index.group(1)), name) if index else (-1, name)


def check_recipient(query: Query) -> ApiError | None:
    recipient = first(query, "recipient")
    if recipient is None:
        return RECIPIENT_MISSING
    if not is_valid_siret(recipient):
        return RECIPIENT_NOT_SIRET
    return None


def _is_name(value: str) -> bool:
    # API rule: letters (accents allowed), apostrophe, space, hyphen.
    return any(char.isalpha() for char in value) and all(
        char.isalpha() or char in _NAME_PUNCTUATION for char in value
    )


def _integer(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value)


@dataclass
class Checked:
    """The parameters as the server will match them, and what was wrong with them."""

    params: dict[str, object] = field(default_factory=dict)
    errors: list[ApiError] = field(default_factory=list)

    def fail(self, parameter: str, detail: str) -> None:
        self.errors.append(invalid_parameter(parameter, detail))


def check_identity(query: Query, today: date) -> Checked:
    """Validate the civil status of ``GET …/identite`` (recipient and month apart)."""
    checked = Checked()
    params = checked.params

    nom = first(query, m.NOM)
    if nom is None:
        checked.fail(m.NOM, "Le paramètre nomNaissance est obligatoire")
    elif not _is_name(nom):
        checked.fail(m.NOM, "Le paramètre nomNaissance n'est pas correctement formaté")
    else:
        params[m.NOM] = nom

    nom_usage = first(query, "nomUsage")
    if nom_usage is not None and not _is_name(nom_usage):
        checked.fail("nomUsage", "Le paramètre nomUsage n'est pas correctement formaté")

    prenoms = prenoms_of(query)
    if not prenoms:
        checked.fail("prenoms[]", "Le paramètre prenoms[] est obligatoire")
    elif len(prenoms) > MAX_PRENOMS:
        checked.fail(
            "prenoms[]", f"Le paramètre prenoms[] compte au plus {MAX_PRENOMS} prénoms"
        )
    elif not all(_is_name(prenom) for prenom in prenoms):
        checked.fail(
            "prenoms[]", "Le paramètre prenoms[] n'est pas correctement formaté"
        )
    else:
        params[m.PRENOMS] = prenoms

    sexe = first(query, m.SEXE)
    if sexe is None:
        checked.fail(m.SEXE, "Le sexe de l'état civil est manquant")
    elif sexe not in ("M", "F"):
        checked.fail(m.SEXE, "Le paramètre sexeEtatCivil doit valoir M ou F")
    else:
        params[m.SEXE] = sexe

    _check_birth_date(query, today, checked)
    _check_birth_place(query, checked)
    return checked


def _check_birth_date(query: Query, today: date, checked: Checked) -> None:
    raw_year = first(query, m.ANNEE_NAISSANCE)
    if raw_year is None:
        return  # advised, not required; month and day mean nothing without it
    year = _integer(raw_year)
    if year is None or not 1800 <= year <= today.year:
        checked.fail(
            m.ANNEE_NAISSANCE,
            "Le paramètre anneeDateNaissance doit être une année passée à 4 chiffres",
        )
        return
    checked.params[m.ANNEE_NAISSANCE] = year

    raw_month = first(query, m.MOIS_NAISSANCE)
    if raw_month is None:
        return
    month = _integer(raw_month)
    if month is None or not 1 <= month <= 12:
        checked.fail(
            m.MOIS_NAISSANCE,
            "Le paramètre moisDateNaissance doit être compris entre 1 et 12",
        )
        return
    if (year, month) > (today.year, today.month):
        checked.fail(m.MOIS_NAISSANCE, "La date de naissance est dans le futur")
        return
    checked.params[m.MOIS_NAISSANCE] = month

    raw_day = first(query, m.JOUR_NAISSANCE)
    if raw_day is None:
        return
    day = _integer(raw_day)
    if day is None or not 1 <= day <= calendar.monthrange(year, month)[1]:
        checked.fail(
            m.JOUR_NAISSANCE, "Le paramètre jourDateNaissance n'est pas un jour valide"
        )
        return
    if date(year, month, day) > today:
        checked.fail(m.JOUR_NAISSANCE, "La date de naissance est dans le futur")
        return
    checked.params[m.JOUR_NAISSANCE] = day


def _check_birth_place(query: Query, checked: Checked) -> None:
    pays = first(query, m.PAYS)
    if pays is None:
        checked.fail(m.PAYS, "Le paramètre codeCogInseePaysNaissance est obligatoire")
    elif not COG_PAYS_RE.match(pays):
        checked.fail(
            m.PAYS,
            "Le paramètre codeCogInseePaysNaissance doit compter 5 chiffres "
            "commençant par 99",
        )
        pays = None
    else:
        checked.params[m.PAYS] = pays

    commune = first(query, m.COMMUNE)
    nom_commune = first(query, m.NOM_COMMUNE)
    departement = first(query, m.DEPARTEMENT)

    if commune is not None:
        if not COG_COMMUNE_RE.match(commune.upper()):
            checked.fail(
                m.COMMUNE,
                "Le paramètre codeCogInseeCommuneNaissance n'est pas un code COG valide",
            )
        elif pays is not None and pays != FRANCE:
            checked.fail(
                m.COMMUNE,
                "Le paramètre codeCogInseeCommuneNaissance ne doit pas être renseigné "
                "pour une personne née à l'étranger",
            )
        else:
            checked.params[m.COMMUNE] = commune
    if departement is not None:
        if DEPARTEMENT_RE.match(departement.upper()):
            checked.params[m.DEPARTEMENT] = departement
        else:
            checked.fail(
                m.DEPARTEMENT,
                "Le paramètre codeCogInseeDepartementNaissance n'est pas valide",
            )
    if nom_commune is not None:
        checked.params[m.NOM_COMMUNE] = nom_commune
        if departement is None:
            checked.fail(
                m.DEPARTEMENT,
                "Le paramètre codeCogInseeDepartementNaissance est obligatoire avec "
                "nomCommuneNaissance",
            )
        if first(query, m.ANNEE_NAISSANCE) is None:
            checked.fail(
                m.ANNEE_NAISSANCE,
                "Le paramètre anneeDateNaissance est obligatoire avec "
                "nomCommuneNaissance",
            )
    if pays == FRANCE and commune is None and nom_commune is None:
        checked.fail(
            m.COMMUNE,
            "Pour une personne née en France, le paramètre "
            "codeCogInseeCommuneNaissance (ou nomCommuneNaissance) est obligatoire",
        )


def months_back(year: int, month: int, today: date) -> int:
    return (today.year - year) * 12 + (today.month - month)


def check_month(
    query: Query, today: date, frozen_months: frozenset[tuple[int, int]] = frozenset()
) -> tuple[tuple[int, int] | None, list[ApiError]]:
    """The QF month asked for (``annee``/``mois``, each defaulting to today's).

    Never in the future, at most 24 months back; ``frozen_months`` are the months a
    staging case names explicitly (its data stopped in time, like ROUX's May 2023),
    which the window would otherwise make unreachable.
    """
    raw_year, raw_month = first(query, m.ANNEE), first(query, m.MOIS)
    year = today.year if raw_year is None else _integer(raw_year)
    month = today.month if raw_month is None else _integer(raw_month)
    errors: list[ApiError] = []
    if year is None or not 1900 <= year <= 9999:
        errors.append(invalid_parameter(m.ANNEE, "Le paramètre annee n'est pas valide"))
    if month is None or not 1 <= month <= 12:
        errors.append(
            invalid_parameter(
                m.MOIS, "Le paramètre mois doit être compris entre 1 et 12"
            )
        )
    if errors or year is None or month is None:
        return None, errors
    back = months_back(year, month, today)
    if back < 0:
        errors.append(
            invalid_parameter(
                m.MOIS, "Le mois du quotient familial demandé est dans le futur"
            )
        )
    elif back > QF_HISTORY_MONTHS and (year, month) not in frozen_months:
        errors.append(
            invalid_parameter(
                m.MOIS,
                "L'historique du quotient familial est limité aux "
                f"{QF_HISTORY_MONTHS} derniers mois",
            )
        )
    return (year, month), errors
