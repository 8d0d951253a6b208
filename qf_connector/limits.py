"""Keyed digests of who a QF lookup is about and where it came from, and the identities
a lookup limit refused.

The lookup limits (family_portal/quotients.py) count lookups per account, per identity
and per client address. Counting on identities and addresses without keeping them in the
database: each is reduced to an HMAC-SHA256 keyed by ``settings.QF_DIGEST_KEY`` (the
SECRET_KEY unless set), which only this server can recompute. An identity is folded first
(accents, case, blanks, hyphens and apostrophes dropped; the first first name only; no
birth place), so that spelling variants of one person count as one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.utils.crypto import salted_hmac

from .errors import ErrorKind, QuotientError

# QuotientError.reason of a lookup refused because a limit refused this identity before.
REFUSED_IDENTITY = "identity_refused"


def _fold(value: object) -> str:
    text = unicodedata.normalize("NFKD", str(value or ""))
    return "".join(char for char in text if char.isalnum()).casefold()


def _digest(purpose: str, value: str) -> str:
    return salted_hmac(
        f"qf_connector.limits.{purpose}",
        value,
        secret=settings.QF_DIGEST_KEY,
        algorithm="sha256",
    ).hexdigest()


def identity_digest(
    birth_name: str, first_names: Iterable[str] | str, sex: str, birth_date: object
) -> str:
    """The digest of a person's civil status ("" when it is too incomplete to name
    anyone). ``birth_date``: a date or its ISO form."""
    if isinstance(first_names, str):
        first_names = first_names.split()
    first = next((name for name in first_names if _fold(name)), "")
    date = birth_date.isoformat() if hasattr(birth_date, "isoformat") else birth_date
    parts = [_fold(birth_name), _fold(first), _fold(sex), str(date or "").strip()]
    if not all(parts):
        return ""
    return _digest("identity", "|".join(parts))


def digest_of(identity) -> str:
    """The digest of a :class:`qf_connector.identity.Identity`."""
    return identity_digest(
        identity.birth_name,
        identity.first_names,
        identity.sex,
        identity.birth_date.isoformat() if identity.birth_date else "",
    )


def address_digest(address: str) -> str:
    """The digest of a client address ("" without one)."""
    return _digest("address", address.strip()) if address and address.strip() else ""


def is_refused(digest: str) -> bool:
    """Whether a lookup limit refused this identity (within the call log's retention)."""
    from .models import LookupRefusal

    return (
        bool(digest)
        and LookupRefusal.objects.current().filter(identity_digest=digest).exists()
    )


def identity_refused(identity) -> bool:
    """Whether a lookup limit refused this :class:`Identity`: background jobs skip it."""
    return is_refused(digest_of(identity))


def refused_identity_error() -> QuotientError:
    return QuotientError(
        ErrorKind.RATE_LIMITED,
        "Une limite de demandes a déjà refusé cette identité : elle n'est pas "
        "interrogée sans un agent du service famille.",
        reason=REFUSED_IDENTITY,
    )
