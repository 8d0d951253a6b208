"""What a lookup gives back: the quotient familial, the children, and the call record."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_PARTIAL_DATE_RE = re.compile(r"^\s*(\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")

# Older data says CAF; the portal stores one name per provider.
_PROVIDER_ALIASES = {"CAF": "CNAF", "CNAF": "CNAF", "MSA": "MSA"}


class MalformedResponse(ValueError):  # noqa: N818 - internal signal, never shown
    """The body is not the documented JSON. Holds no body content."""


@dataclass(frozen=True)
class PartialDate:
    """A date whose parts may be unknown: ``2016-00-00`` is year 2016, day and month unknown."""

    year: int | None
    month: int | None
    day: int | None

    @classmethod
    def parse(cls, value: Any) -> PartialDate:
        """Never raises: anything unreadable is simply unknown."""
        match = _PARTIAL_DATE_RE.match(value) if isinstance(value, str) else None
        if not match:
            return cls(None, None, None)
        year, month, day = (int(part) if part else 0 for part in match.groups())
        year_ok = year > 0
        month_ok = year_ok and 1 <= month <= 12
        day_ok = month_ok and 1 <= day <= 31
        return cls(
            year if year_ok else None,
            month if month_ok else None,
            day if day_ok else None,
        )

    def isoformat(self) -> str | None:
        if self.year is None:
            return None
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
            if self.day is not None:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


@dataclass(frozen=True)
class Child:
    """A child as returned by the CAF/MSA; kept only to match the family's children."""

    birth_name: str | None
    usage_name: str | None
    first_names: str | None
    birth_date_raw: str | None
    birth_date: PartialDate
    sex: str | None

    def __repr__(self) -> str:
        return "Child(<masqué>)"

    def as_api_dict(self) -> dict:
        return {
            "nom_naissance": self.birth_name,
            "nom_usage": self.usage_name,
            "prenoms": self.first_names,
            "date_naissance": self.birth_date_raw,
            "sexe": self.sex,
        }


@dataclass(frozen=True)
class QuotientResult:
    """A usable quotient familial (``value`` > 0), in whole euros."""

    value: int
    provider: str
    year: int
    month: int
    computation_year: int | None
    computation_month: int | None
    # None when the token's scopes hide the block; () when the family has no child.
    children: tuple[Child, ...] | None = field(repr=False)
    request_id: str | None
    cached: bool
    retrieved_at: datetime
    attempts: int = 1

    def as_dict(self) -> dict:
        """The JSON shape of the ``qf lookup`` command."""
        return {
            "valeur": self.value,
            "fournisseur": self.provider,
            "annee": self.year,
            "mois": self.month,
            "annee_calcul": self.computation_year,
            "mois_calcul": self.computation_month,
            "enfants": (
                None
                if self.children is None
                else [child.as_api_dict() for child in self.children]
            ),
            "request_id": self.request_id,
            "cached": self.cached,
        }


@dataclass(frozen=True)
class CallRecord:
    """One lookup as the call log keeps it: no query string, no identity, no token."""

    endpoint: str
    started_at: datetime
    duration_ms: int
    http_status: int | None
    error_code: str | None
    error_kind: str | None
    request_id: str | None
    attempts: int
    cached: bool
    # Machine reason for failures without an API code: "timeout", "network",
    # "malformed_body", "circuit_open", "deadline", "throttle", "not_computable", "busy"
    # (refused at once: too many lookups in flight in the process)...
    detail: str | None = None


def _int(value: Any, *, required: bool = True) -> int | None:
    if isinstance(value, bool):
        raise MalformedResponse("boolean where an integer is expected")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if value is None and not required:
        return None
    raise MalformedResponse("integer expected")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_child(item: Any) -> Child:
    if not isinstance(item, dict):
        raise MalformedResponse("child entry is not an object")
    raw_date = _str(item.get("date_naissance"))
    return Child(
        birth_name=_str(item.get("nom_naissance")),
        usage_name=_str(item.get("nom_usage")),
        first_names=_str(item.get("prenoms")),
        birth_date_raw=raw_date,
        birth_date=PartialDate.parse(raw_date),
        sex=_str(item.get("sexe")),
    )


@dataclass(frozen=True)
class ParsedQuotient:
    value: int
    provider: str
    year: int
    month: int
    computation_year: int | None
    computation_month: int | None
    children: tuple[Child, ...] | None


def parse_success(body: Any) -> ParsedQuotient:
    """Read a 200 body; raise :class:`MalformedResponse` if the QF is not there."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise MalformedResponse("no data object")
    data = body["data"]
    quotient = data.get("quotient_familial")
    if not isinstance(quotient, dict):
        raise MalformedResponse("no quotient_familial block")
    value = _int(quotient.get("valeur"))
    if value < 0:
        raise MalformedResponse("negative valeur")
    provider_raw = quotient.get("fournisseur")
    if not isinstance(provider_raw, str) or not provider_raw.strip():
        raise MalformedResponse("no fournisseur")
    provider = provider_raw.strip().upper()
    provider = _PROVIDER_ALIASES.get(provider, provider)
    year = _int(quotient.get("annee"))
    month = _int(quotient.get("mois"))
    if not 1 <= month <= 12:
        raise MalformedResponse("mois out of range")
    children_raw = data.get("enfants")
    if children_raw is None:
        children = None
    elif isinstance(children_raw, list):
        children = tuple(parse_child(item) for item in children_raw)
    else:
        raise MalformedResponse("enfants is not a list")
    return ParsedQuotient(
        value=value,
        provider=provider,
        year=year,
        month=month,
        computation_year=_int(quotient.get("annee_calcul"), required=False),
        computation_month=_int(quotient.get("mois_calcul"), required=False),
        children=children,
    )


@dataclass(frozen=True)
class ApiError:
    code: str
    parameter: str | None
    retry_in: float | None


def parse_error(body: Any) -> ApiError:
    """First entry of a documented error body; codes stay 5-character strings."""
    if not isinstance(body, dict):
        raise MalformedResponse("error body is not an object")
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        raise MalformedResponse("no errors list")
    first = errors[0]
    code = first.get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        code = f"{code:05d}"  # a numeric code lost its leading zeros on the way
    if not isinstance(code, str) or not code.strip():
        raise MalformedResponse("error without code")
    source = first.get("source")
    parameter = source.get("parameter") if isinstance(source, dict) else None
    meta = first.get("meta")
    retry_in = meta.get("retry_in") if isinstance(meta, dict) else None
    if isinstance(retry_in, bool) or not isinstance(retry_in, int | float):
        retry_in = None
    return ApiError(
        code=code.strip(),
        parameter=parameter if isinstance(parameter, str) else None,
        retry_in=float(retry_in) if retry_in is not None else None,
    )
