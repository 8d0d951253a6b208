"""The Django side of the QF client: one shared client per process, built from settings,
every lookup written to the call log, and a cap on the lookups that web requests wait
for."""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from . import limits
from .client import CallRecord, QuotientClient
from .identity import Identity, QfMonth
from .models import ApiCallLog
from .resilience import InFlightLimit
from .results import QuotientResult

logger = logging.getLogger("qf_connector")

_client: QuotientClient | None = None
_client_lock = threading.Lock()

# Lookups a web request waits for, in this process: at most QF_LOOKUPS_IN_FLIGHT at once,
# fewer than gunicorn's threads per worker, so that an API that hangs (up to the
# client's 20 s per lookup) holds some threads and never the whole worker: the others
# keep serving pages. A lookup beyond the cap fails at once as "unavailable", and the
# wizard offers its usual way on (a document, the provisional tariff). Batch lookups
# (commands, the yearly campaign, background tasks) are not counted here.
request_lookups = InFlightLimit(lambda: settings.QF_LOOKUPS_IN_FLIGHT)


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


def _log_hook(
    user,
    family_id: int | None,
    origin: str,
    identity_digest: str = "",
    address_digest: str = "",
):
    def write(call: CallRecord) -> None:
        ApiCallLog.record(
            call,
            user=user,
            family_id=family_id,
            origin=origin,
            identity_digest=identity_digest,
            address_digest=address_digest,
        )

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
    in_request: bool = False,
    address: str = "",
) -> QuotientResult:
    """Look up a QF by civil status; the call is logged with who asked, the family, and
    the keyed digests of the identity and of the client ``address`` (limits.py).

    ``in_request``: a web request waits for the answer, so the lookup takes one of the
    process's ``request_lookups`` places, or fails at once (UNAVAILABLE, reason
    "busy") when they are all taken. Outside a request (the retry, the yearly
    campaign, commands) an identity a lookup limit refused is never looked up
    (RATE_LIMITED, reason ``limits.REFUSED_IDENTITY``, before any call). Raises
    :class:`qf_connector.errors.QuotientError` (``InvalidInput`` before any call).
    """
    digest = limits.digest_of(identity)
    if not in_request and limits.is_refused(digest):
        raise limits.refused_identity_error()
    return (client or get_client()).lookup_by_identity(
        identity,
        month,
        fresh,
        on_call=_log_hook(
            user, family_id, origin, digest, limits.address_digest(address)
        ),
        slots=request_lookups if in_request else None,
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
    in_request: bool = False,
    address: str = "",
) -> QuotientResult:
    """Look up the QF of the parent signed in with FranceConnect; the call is logged
    (with the digest of the client ``address``: the identity is unknown before the
    answer); ``in_request`` as for :func:`lookup_by_identity`."""
    return (client or get_client()).lookup_by_france_connect(
        access_token,
        month,
        fresh,
        on_call=_log_hook(user, family_id, origin, "", limits.address_digest(address)),
        slots=request_lookups if in_request else None,
    )
