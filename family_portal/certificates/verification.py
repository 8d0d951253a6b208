"""Is this certificate authentic, and does it still hold? Answers with the minimum.

The number alone proves nothing: the token printed beside it (random, 128 bits, not
derived from any id) must match, compared in constant time. An unknown number and a
wrong token get the same answer, so numbers cannot be probed.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from family_portal.models import Certificate, Enrolment

from .services import is_up_to_date

# Compared against when the number is unknown, so that both paths do the same work.
_DUMMY_TOKEN = "x" * 22


@dataclass(frozen=True)
class Verification:
    """What the public verification page may show: nothing about the family."""

    state: str  # "current", "replaced", "revoked" or "unknown"
    number: str = ""
    activity: str = ""
    period: str = ""
    amount: str = ""
    valid_from: str = ""
    valid_until: str = ""
    ended_on: object = None


UNKNOWN = Verification(state="unknown")


def verify(number: str, token: str) -> Verification:
    certificate = (
        Certificate.objects.select_related(
            "enrolment",
            "enrolment__period",
            "enrolment__bareme_version",
        )
        .filter(number=number)
        .first()
    )
    expected = certificate.token if certificate is not None else _DUMMY_TOKEN
    matches = hmac.compare_digest(expected.encode(), token.encode())
    if certificate is None or not matches:
        return UNKNOWN
    content = certificate.content
    facts = {
        "number": certificate.number,
        "activity": content["activity"],
        "period": content["period"]["label"],
        "amount": f"{content['price']} par {content['unit']}",
        "valid_from": content["valid_from"],
        "valid_until": content["valid_until"],
        "ended_on": certificate.ended_at,
    }
    enrolment = certificate.enrolment
    if certificate.status == Certificate.Status.REVOKED or (
        certificate.status == Certificate.Status.CURRENT
        and enrolment.status == Enrolment.Status.CANCELLED
    ):
        return Verification(state="revoked", **facts)
    if certificate.status == Certificate.Status.REPLACED or not is_up_to_date(
        certificate, enrolment
    ):
        # The tariff changed since: a new certificate replaces (or will replace) it.
        return Verification(state="replaced", **facts)
    return Verification(state="current", **facts)
