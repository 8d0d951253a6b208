"""The allocataire's civil status and the QF month, validated with API Particulier's own rules."""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from home import names

from .errors import InvalidInput

FRANCE = "99100"
MAX_FIRST_NAMES = 3
# Not an API rule: a guard against absurd input before it reaches a URL.
MAX_NAME_LENGTH = 100
QF_HISTORY_MONTHS = 24
PARIS = ZoneInfo("Europe/Paris")

COG_COMMUNE_RE = re.compile(r"^([013-9]\d|2[AB1-9])\d{3}$")
COUNTRY_RE = re.compile(r"^99\d{3}$")
_PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'", "`": "'"})

# Field names used in errors; the Django forms map them to their own fields.
BIRTH_NAME = "birth_name"
FIRST_NAMES = "first_names"
SEX = "sex"
BIRTH_DATE = "birth_date"
BIRTH_COMMUNE = "birth_commune"
BIRTH_COUNTRY = "birth_country"
MONTH = "month"
RECIPIENT = "recipient"


def paris_today() -> date:
    return datetime.now(PARIS).date()


def normalise_name(value: str) -> str:
    """NFC, trim, collapse blanks (home.names) and straighten typographic apostrophes."""
    return names.normalise(value).translate(_APOSTROPHES)


def _name_is_valid(value: str) -> bool:
    # API rule: letters (accents allowed), apostrophe, space, hyphen.
    if not any(char.isalpha() for char in value):
        return False
    for char in value:
        if char in " '-":
            continue
        if not char.isalpha():
            return False
        if not unicodedata.name(char, "").startswith("LATIN"):
            return False
    return True


def _check_name(value: str, field_name: str, label: str) -> None:
    if not value:
        raise InvalidInput(field_name, f"Le champ « {label} » est obligatoire.")
    # Invisible and direction-changing characters: the message every name form gives.
    invisible = names.problem(value)
    if invisible:
        raise InvalidInput(field_name, invisible)
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidInput(
            field_name,
            f"Le champ « {label} » ne peut pas dépasser {MAX_NAME_LENGTH} caractères.",
        )
    if not _name_is_valid(value):
        raise InvalidInput(
            field_name,
            f"Le champ « {label} » ne peut contenir que des lettres (accents "
            "compris), des espaces, des apostrophes et des traits d'union.",
        )


@dataclass(frozen=True)
class BirthDate:
    """A birth date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: str) -> BirthDate:
        match = _PARTIAL_DATE_RE.match(str(value).strip())
        if not match:
            raise InvalidInput(
                BIRTH_DATE,
                "La date de naissance doit être de la forme AAAA, AAAA-MM ou AAAA-MM-JJ.",
            )
        year, month, day = (int(part) if part else None for part in match.groups())
        return cls(year, month, day)

    def check(self, today: date) -> None:
        if not 1900 <= self.year <= today.year:
            raise InvalidInput(
                BIRTH_DATE,
                f"L'année de naissance doit être comprise entre 1900 et {today.year}.",
            )
        if self.day is not None and self.month is None:
            raise InvalidInput(
                BIRTH_DATE, "Le jour de naissance ne peut être donné sans le mois."
            )
        if self.month is not None and not 1 <= self.month <= 12:
            raise InvalidInput(
                BIRTH_DATE, "Le mois de naissance doit être compris entre 1 et 12."
            )
        if self.day is not None:
            last_day = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last_day:
                raise InvalidInput(
                    BIRTH_DATE, "Le jour de naissance n'existe pas dans ce mois."
                )
        known = (self.year, self.month or 1, self.day or 1)
        if known > (today.year, today.month, today.day):
            raise InvalidInput(
                BIRTH_DATE, "La date de naissance ne peut pas être dans le futur."
            )

    def isoformat(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
            if self.day is not None:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


@dataclass(frozen=True)
class QfMonth:
    """The month a quotient familial applies to (``annee``/``mois``)."""

    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> QfMonth:
        match = _MONTH_RE.match(str(value).strip())
        if not match:
            raise InvalidInput(
                MONTH, "Le mois du quotient familial doit être de la forme AAAA-MM."
            )
        return cls(int(match.group(1)), int(match.group(2)))

    def check(self, today: date) -> None:
        if not 1 <= self.month <= 12:
            raise InvalidInput(
                MONTH, "Le mois du quotient familial doit être compris entre 1 et 12."
            )
        back = (today.year * 12 + today.month) - (self.year * 12 + self.month)
        if back < 0:
            raise InvalidInput(
                MONTH, "Le mois du quotient familial ne peut pas être dans le futur."
            )
        if back > QF_HISTORY_MONTHS:
            raise InvalidInput(
                MONTH,
                "Le quotient familial ne peut être consulté que pour les "
                f"{QF_HISTORY_MONTHS} derniers mois.",
            )

    def isoformat(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, repr=False)
class Identity:
    """Civil status of the allocataire (the parent holding the CAF/MSA file).

    Build it with :meth:`create`, which normalises and validates. ``repr`` hides
    every value so that an identity never lands in a log by accident.
    """

    birth_name: str
    first_names: tuple[str, ...]
    sex: str
    birth_date: BirthDate | None = None
    birth_commune: str | None = None
    birth_country: str = FRANCE

    def __repr__(self) -> str:
        return "Identity(<masquée>)"

    @classmethod
    def create(
        cls,
        *,
        birth_name: str,
        first_names: list[str] | tuple[str, ...] | str,
        sex: str,
        birth_date: BirthDate | str | None = None,
        birth_commune: str | None = None,
        birth_country: str | None = None,
        today: date | None = None,
    ) -> Identity:
        if isinstance(first_names, str):
            first_names = [first_names]
        if isinstance(birth_date, str):
            birth_date = BirthDate.parse(birth_date) if birth_date.strip() else None
        commune = (birth_commune or "").strip().upper() or None
        country = (birth_country or "").strip() or FRANCE
        identity = cls(
            birth_name=normalise_name(birth_name or ""),
            first_names=tuple(
                normalise_name(name) for name in first_names if normalise_name(name)
            ),
            sex=(sex or "").strip().upper(),
            birth_date=birth_date,
            birth_commune=commune,
            birth_country=country,
        )
        identity.check(today)
        return identity

    def check(self, today: date | None = None) -> None:
        """Raise :class:`InvalidInput` naming the first field that breaks a rule."""
        today = today or paris_today()
        _check_name(self.birth_name, BIRTH_NAME, "nom de naissance")
        if not self.first_names:
            raise InvalidInput(FIRST_NAMES, "Indiquez au moins un prénom.")
        if len(self.first_names) > MAX_FIRST_NAMES:
            raise InvalidInput(
                FIRST_NAMES, f"Indiquez au plus {MAX_FIRST_NAMES} prénoms."
            )
        for name in self.first_names:
            _check_name(name, FIRST_NAMES, "prénoms")
        if self.sex not in ("F", "M"):
            raise InvalidInput(SEX, "Le sexe à l'état civil doit être « F » ou « M ».")
        if self.birth_date is not None:
            self.birth_date.check(today)
        if not COUNTRY_RE.match(self.birth_country or ""):
            raise InvalidInput(
                BIRTH_COUNTRY,
                "Le pays de naissance doit être un code INSEE à 5 chiffres "
                "commençant par 99.",
            )
        if self.birth_country == FRANCE:
            if not self.birth_commune:
                raise InvalidInput(
                    BIRTH_COMMUNE,
                    "Pour une personne née en France, indiquez le code INSEE de la "
                    "commune de naissance.",
                )
            if not COG_COMMUNE_RE.match(self.birth_commune):
                raise InvalidInput(
                    BIRTH_COMMUNE,
                    "Le code INSEE de la commune de naissance n'est pas valide "
                    "(5 caractères, par exemple 75056 ou 2A004).",
                )
        elif self.birth_commune:
            raise InvalidInput(
                BIRTH_COMMUNE,
                "Ne renseignez pas de commune de naissance pour une personne née à "
                "l'étranger.",
            )

    def query_params(self) -> list[tuple[str, str]]:
        """Query parameters of ``/identite`` for this person (without ``recipient``)."""
        params: list[tuple[str, str]] = [
            ("nomNaissance", self.birth_name),
            *(("prenoms[]", name) for name in self.first_names),
            ("sexeEtatCivil", self.sex),
            ("codeCogInseePaysNaissance", self.birth_country),
        ]
        if self.birth_commune:
            params.append(("codeCogInseeCommuneNaissance", self.birth_commune))
        if self.birth_date is not None:
            params.append(("anneeDateNaissance", str(self.birth_date.year)))
            if self.birth_date.month is not None:
                params.append(("moisDateNaissance", str(self.birth_date.month)))
                if self.birth_date.day is not None:
                    params.append(("jourDateNaissance", str(self.birth_date.day)))
        return params


def month_params(month: QfMonth | None) -> list[tuple[str, str]]:
    if month is None:
        return []
    return [("annee", str(month.year)), ("mois", str(month.month))]


def coerce_month(
    month: QfMonth | str | None, today: date | Callable[[], date] | None = None
) -> QfMonth | None:
    """Parse and check an optional QF month (never future, at most 24 months back)."""
    if month is None or month == "":
        return None
    if isinstance(month, str):
        month = QfMonth.parse(month)
    if callable(today):
        today = today()
    month.check(today or paris_today())
    return month
