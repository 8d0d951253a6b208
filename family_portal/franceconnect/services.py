"""What the rest of the family portal asks of FranceConnect (the family's creation, the
wizard), in a few small functions."""

from __future__ import annotations

from . import session
from .identity import PivotIdentity, certify

__all__ = [
    "access_token",
    "certify",
    "forget_identity",
    "pending_identity",
    "signed_in",
]

signed_in = session.signed_in
access_token = session.access_token
forget_identity = session.forget_identity


def pending_identity(request) -> PivotIdentity | None:
    """The certified identity waiting for the family's creation, or None."""
    data = session.pending_identity(request)
    if not data:
        return None
    try:
        return PivotIdentity.from_claims(data)
    except ValueError:
        return None
