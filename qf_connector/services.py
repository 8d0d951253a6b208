"""The Django side of the QF client: one shared client per process, built from settings,
and every lookup written to the call log."""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from .client import CallRecord, QuotientClient
from .identity import Identity, QfMonth
from .models import ApiCallLog
from .results import QuotientResult

logger = logging.getLogger("qf_connector")

_client: QuotientClient | None = None
_client_lock = threading.Lock()


def commune_siret() -> str:
    """The commune's SIRET from the site settings, or "" if it cannot be read."""
    try:
        from wagtail.models import Site

        from home.models import CommuneSettings

        site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
        if site is None:
            return ""
        return (CommuneSettings.for_site(site).siret or "").strip()
    except Exception as error:  # noqa: BLE001 - no site yet, tables not migrated…
        logger.warning("Commune SIRET unavailable: %s", type(error).__name__)
        return ""


def resolve_recipient() -> str:
    """``API_PARTICULIER_RECIPIENT`` if set, else the commune's SIRET (read each time)."""
    configured = (getattr(settings, "API_PARTICULIER_RECIPIENT", "") or "").strip()
    return configured or commune_siret()


def build_client(**overrides) -> QuotientClient:
    """A new client from the settings; ``overrides`` for tests and batch tools."""
    options = {
        "connect_timeout": float(settings.API_PARTICULIER_CONNECT_TIMEOUT),
        "read_timeout": float(settings.API_PARTICULIER_READ_TIMEOUT),
        "total_timeout": float(settings.API_PARTICULIER_TOTAL_TIMEOUT),
        "rate": float(settings.API_PARTICULIER_RATE),
    }
    options.update(overrides)
    return QuotientClient(
        options.pop("base_url", settings.API_PARTICULIER_URL),
        options.pop("token", settings.API_PARTICULIER_TOKEN),
        options.pop("recipient", resolve_recipient),
        **options,
    )


def get_client() -> QuotientClient:
    """The process-wide client: its throttle and circuit breaker are shared by all."""
    global _client
    with _client_lock:
        if _client is None:
            _client = build_client()
        return _client


def reset_client() -> None:
    """Drop the shared client (settings changed, tests)."""
    global _client
    with _client_lock:
        if _client is not None:
            _client.close()
        _client = None


def _log_hook(user, family_id: int | None, origin: str):
    def write(call: CallRecord) -> None:
        ApiCallLog.record(call, user=user, family_id=family_id, origin=origin)

    return write


def lookup_by_identity(
    identity: Identity,
    month: QfMonth | str | None = None,
    *,
    fresh: bool = False,
    user=None,
    family_id: int | None = None,
    origin: str = "",
    client: QuotientClient | None = None,
) -> QuotientResult:
    """Look up a QF by civil status; the call is logged with who asked and the family.

    Raises :class:`qf_connector.errors.QuotientError` (``InvalidInput`` before any call).
    """
    return (client or get_client()).lookup_by_identity(
        identity, month, fresh, on_call=_log_hook(user, family_id, origin)
    )


def lookup_by_france_connect(
    access_token: str,
    month: QfMonth | str | None = None,
    *,
    fresh: bool = False,
    user=None,
    family_id: int | None = None,
    origin: str = "",
    client: QuotientClient | None = None,
) -> QuotientResult:
    """Look up the QF of the parent signed in with FranceConnect; the call is logged."""
    return (client or get_client()).lookup_by_france_connect(
        access_token, month, fresh, on_call=_log_hook(user, family_id, origin)
    )
