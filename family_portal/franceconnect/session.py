"""What the portal keeps of a parent's FranceConnect sign-in: in the session (server
side, in the database), never in a page, a cookie, a log or the call log, and gone at
logout (Django's logout flushes the session; receivers.py drops it first).

- the access token and its expiry: the bearer of API Particulier's /france_connect route;
- the ID token: the ``id_token_hint`` of FranceConnect's logout;
- the pivot identity, only until the parent's family is created (it certifies the first
  guardian, then goes).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

SESSION_KEY = "franceconnect"
IDENTITY_KEY = "franceconnect_identity"


def remember(request, *, sub, access_token, id_token, expires_at) -> None:
    request.session[SESSION_KEY] = {
        "sub": sub,
        "access_token": access_token,
        "id_token": id_token,
        "expires_at": expires_at,
    }


def signed_in(request) -> bool:
    """The parent signed in with FranceConnect in this session."""
    return bool(request.session.get(SESSION_KEY))


def access_token(request, now: datetime.datetime | None = None) -> str | None:
    """The access token, or None when there is none or it is known to have expired."""
    data = request.session.get(SESSION_KEY) or {}
    token = data.get("access_token")
    if not token:
        return None
    expires_at = data.get("expires_at")
    if expires_at:
        moment = datetime.datetime.fromisoformat(expires_at)
        if moment <= (now or timezone.now()):
            return None
    return token


def id_token(request) -> str | None:
    return (request.session.get(SESSION_KEY) or {}).get("id_token")


def keep_identity(request, identity: dict) -> None:
    request.session[IDENTITY_KEY] = identity


def pending_identity(request) -> dict | None:
    return request.session.get(IDENTITY_KEY)


def forget_identity(request) -> None:
    request.session.pop(IDENTITY_KEY, None)


def forget(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(IDENTITY_KEY, None)
