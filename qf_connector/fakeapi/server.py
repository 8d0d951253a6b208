"""The fake API Particulier: an HTTP server on the standard library's ThreadingHTTPServer.

``FakeApi`` decides the answer to one request (token, rate limit, parameters,
matching, simulated cache); ``FakeApiHandler`` moves bytes, injects faults and logs;
``FakeApiServer`` binds loopback and owns the shared state. No Django here: the
server runs as its own process (``python -m qf_connector.fakeapi``) or in a thread
of a test (``qf_connector.fakeapi.testing``).

Log lines hold the method, the path without its query string, the status and the
request id: never the query string (it holds the identity) nor the token.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import secrets
import socket
import socketserver
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, urlsplit
from urllib.request import Request, urlopen

from . import matching as m
from .cases import FRANCE_CONNECT, IDENTITE, ROUTES, CaseBook, identity_from_claims
from .errors import (
    INVALID_TOKEN,
    NOT_FOUND_CNAV,
    TOO_MANY_REQUESTS,
    ApiError,
    catalogue_error,
    error_body,
)
from .faults import Fault, FaultError, FaultQueue
from .ratelimit import Decision, SlidingWindowLimiter
from .validation import Query, check_identity, check_month, check_recipient, paris_today

LOGGER = logging.getLogger("qf_connector.fakeapi")

# The demo token of this fake server (not the public staging token: that one lives
# upstream, in etalab/siade_staging_data, and is never copied here).
DEFAULT_TOKEN = "demo-token"  # noqa: S105
DEFAULT_RATE_LIMIT = 20
DEFAULT_RATE_WINDOW = 1.0
CACHE_TTL = 24 * 3600
CONTROL_PREFIX = "/__fake__/"
JSON = "application/json; charset=utf-8"
MAX_CONTROL_BODY = 64 * 1024

HTML_ERROR_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


class Stats:
    """Counters for benchmarks and tests; ``/__fake__`` requests are not counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.by_status: Counter[str] = Counter()
            self.by_route: Counter[str] = Counter()
            self.rate_limited = 0
            self.faults = 0
            self.dropped = 0
            self.cache_hits = 0
            self.first_request_at: float | None = None
            self.last_request_at: float | None = None

    def count_request(self, route: str) -> None:
        now = time.time()
        with self._lock:
            self.requests += 1
            self.by_route[route] += 1
            if self.first_request_at is None:
                self.first_request_at = now
            self.last_request_at = now

    def add(self, counter: str) -> None:
        """One more ``rate_limited``, ``faults``, ``dropped`` or ``cache_hits``."""
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)

    def count_status(self, status: int) -> None:
        with self._lock:
            self.by_status[str(status)] += 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "by_status": dict(self.by_status),
                "by_route": dict(self.by_route),
                "rate_limited": self.rate_limited,
                "faults": self.faults,
                "dropped": self.dropped,
                "cache_hits": self.cache_hits,
                "first_request_at": self.first_request_at,
                "last_request_at": self.last_request_at,
            }


class ResponseCache:
    """API Particulier keeps a 200 answer 24 hours; only hashes are kept here."""

    def __init__(
        self, ttl: float = CACHE_TTL, clock: Callable[[], float] = time.monotonic
    ):
        self.ttl = ttl
        self._clock = clock
        self._expiries: dict[str, float] = {}
        self._lock = threading.Lock()

    def lookup(self, key: str, bypass: bool) -> tuple[bool, int]:
        """(served from cache, seconds before expiry); a miss or a bypass refills."""
        now = self._clock()
        with self._lock:
            expiry = self._expiries.get(key)
            if expiry is not None and expiry > now and not bypass:
                return True, math.ceil(expiry - now)
            self._expiries[key] = now + self.ttl
            return False, math.ceil(self.ttl)

    def clear(self) -> None:
        with self._lock:
            self._expiries.clear()


def _digest(*parts: object) -> str:
    return hashlib.sha256(
        json.dumps(parts, sort_keys=True, default=str).encode()
    ).hexdigest()


def bearer_of(headers: Mapping[str, str]) -> str | None:
    value = headers.get("Authorization") or ""
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class FakeApi:
    """What API Particulier would answer, transport apart."""

    def __init__(
        self,
        casebook: CaseBook,
        token: str = DEFAULT_TOKEN,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        rate_window: float = DEFAULT_RATE_WINDOW,
        cache_ttl: float = CACHE_TTL,
        today: Callable[[], date] = paris_today,
        latency: float = 0.0,
        france_connect_userinfo: str | None = None,
    ) -> None:
        self.casebook = casebook
        self.token = token
        # A FranceConnect (the local one of the demo and tests) whose userinfo endpoint
        # tells who a bearer on /france_connect is, as FranceConnect tells API
        # Particulier; None: the static tokens of the case files only.
        self.france_connect_userinfo = france_connect_userinfo
        # Added to every API answer, on top of any fault's (``--latency``).
        self.latency = latency
        self.limiter = SlidingWindowLimiter(rate_limit, rate_window)
        self.cache = ResponseCache(cache_ttl)
        self.faults = FaultQueue()
        self.stats = Stats()
        self.today = today
        self._frozen_months = {
            route: casebook.frozen_months(route) for route in (IDENTITE, FRANCE_CONNECT)
        }

    def reset(self) -> None:
        self.faults.clear()
        self.stats.reset()
        self.cache.clear()
        self.limiter.reset()

    # -- the API -------------------------------------------------------------------

    def answer(self, route: str, query: Query, headers: Mapping[str, str]) -> Response:
        bearer = bearer_of(headers)
        identity_base: Mapping[str, object] | None = None
        if route == IDENTITE:
            authorised = bearer is not None and secrets.compare_digest(
                bearer.encode(), self.token.encode()
            )
        else:
            fc_token = self.casebook.tokens.get(bearer or "")
            authorised = fc_token is not None
            identity_base = fc_token.identity if fc_token else None
            if not authorised and bearer and self.france_connect_userinfo:
                identity_base, refusal = self._ask_france_connect(bearer)
                if refusal is not None:
                    return self._error(401, [refusal], self.limiter.peek())
                authorised = identity_base is not None
        if not authorised or bearer is None:
            return self._error(401, [INVALID_TOKEN], self.limiter.peek())

        decision = self.limiter.hit(_digest("token", bearer))
        if not decision.allowed:
            self.stats.add("rate_limited")
            response = self._error(429, [TOO_MANY_REQUESTS], decision)
            response.headers["Retry-After"] = str(decision.retry_after)
            return response

        today = self.today()
        errors: list[ApiError] = []
        recipient_error = check_recipient(query)
        if recipient_error is not None:
            errors.append(recipient_error)
        params: dict[str, object] = {}
        if route == IDENTITE:
            checked = check_identity(query, today)
            errors.extend(checked.errors)
            params.update(checked.params)
        month, month_errors = check_month(query, today, self._frozen_months[route])
        errors.extend(month_errors)
        if errors or month is None:
            return self._error(422, errors, decision)
        params[m.ANNEE], params[m.MOIS] = month

        identity = dict(m.canonical_identity(params))
        if identity_base is not None:
            identity.update(identity_base)
        case = self.casebook.match(route, identity)
        if case is None:
            return self._error(404, [NOT_FOUND_CNAV], decision)

        response = Response(case.status, case.payload.encode(), JSON)
        self._rate_headers(response, decision)
        if case.status == 200:
            bypass = "no-cache" in (headers.get("Cache-Control") or "").lower()
            cached, expires_in = self.cache.lookup(
                _digest(route, bearer, sorted(identity.items())), bypass
            )
            if cached:
                self.stats.add("cache_hits")
            response.headers["X-Response-Cached"] = "true" if cached else "false"
            response.headers["X-Cache-Expires-in"] = str(expires_in)
        if case.status == 429:
            response.headers["Retry-After"] = "1"
        return response

    def _ask_france_connect(
        self, bearer: str
    ) -> tuple[dict[str, object] | None, ApiError | None]:
        """Who the parent's FranceConnect access token stands for, from FranceConnect's
        userinfo: (identity, None), or (None, the 401 error: 00103 when FranceConnect
        says the token expired, 00101 otherwise)."""
        request = Request(  # noqa: S310 - the configured local FranceConnect
            self.france_connect_userinfo, headers={"Authorization": f"Bearer {bearer}"}
        )
        try:
            with urlopen(request, timeout=5) as answer:  # noqa: S310
                claims = json.loads(answer.read())
            return identity_from_claims(claims), None
        except HTTPError as error:
            expired = error.code == 401 and "expired" in (
                error.headers.get("WWW-Authenticate") or ""
            )
            return None, catalogue_error(401, "00103" if expired else "00101")
        except (URLError, OSError, KeyError, TypeError, ValueError) as error:
            LOGGER.warning("FranceConnect userinfo unusable: %s", type(error).__name__)
            return None, INVALID_TOKEN

    def fault_response(self, fault: Fault) -> Response:
        """The answer a ``status`` or ``html`` fault stands for."""
        decision = self.limiter.peek()
        status = fault.status or 502
        if fault.kind == "html":
            page = HTML_ERROR_PAGE.format(status=status, reason=_reason(status))
            response = Response(status, page.encode(), "text/html")
            self._rate_headers(response, decision)
        else:
            response = self._error(
                status, [catalogue_error(status, fault.code)], decision
            )
        if status == 429 or fault.retry_after is not None:
            response.headers["Retry-After"] = str(
                fault.retry_after if fault.retry_after is not None else 1
            )
        return response

    def _error(
        self, status: int, errors: list[ApiError], decision: Decision
    ) -> Response:
        response = Response(status, error_body(*errors), JSON)
        self._rate_headers(response, decision)
        return response

    @staticmethod
    def _rate_headers(response: Response, decision: Decision) -> None:
        response.headers["X-Response-Cached"] = "false"
        if decision.limit <= 0:
            # No limit (--rate-limit 0): announce none. "Remaining: 0" would make a
            # well-behaved client wait for a reset before every request.
            return
        response.headers.update(
            {
                "RateLimit-Limit": str(decision.limit),
                "RateLimit-Remaining": str(decision.remaining),
                "RateLimit-Reset": str(math.ceil(decision.reset_at)),
            }
        )


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class FakeApiHandler(BaseHTTPRequestHandler):
    server: FakeApiServer
    protocol_version = "HTTP/1.1"
    server_version = "FakeApiParticulier/1.0"

    def version_string(self) -> str:
        return self.server_version

    # -- logging: our own lines only (the defaults print the request line) --------

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        # http.server's messages quote the raw request line, query string included.
        LOGGER.warning("fakeapi rejected a malformed or timed-out request")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def _log(self, status: int | str, request_id: str, started: float) -> None:
        path = urlsplit(self.path).path
        elapsed = (time.monotonic() - started) * 1000
        LOGGER.info(
            "%s %s %s %s %.1fms", self.command, path, status, request_id, elapsed
        )

    # -- verbs --------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch()

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        parts = urlsplit(self.path)
        body = self._read_body()
        if parts.path.startswith(CONTROL_PREFIX):
            response = self._control(parts.path, body)
        elif parts.path in ROUTES:
            if self.command != "GET":
                response = Response(405, error_body(_method_not_allowed()), JSON)
                response.headers["Allow"] = "GET"
            else:
                self._api(ROUTES[parts.path], parts.query, request_id, started)
                return
        else:
            response = Response(404, error_body(_unknown_route()), JSON)
        self._send(response, request_id)
        self._log(response.status, request_id, started)

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return b""
        if length > MAX_CONTROL_BODY:
            self.close_connection = True  # the unread rest would poison keep-alive
        return self.rfile.read(min(length, MAX_CONTROL_BODY))

    # -- the API routes -------------------------------------------------------------

    def _api(self, route: str, raw_query: str, request_id: str, started: float) -> None:
        api = self.server.api
        api.stats.count_request(route)
        fault = api.faults.take()
        delay = api.latency + (fault.latency if fault is not None else 0.0)
        if delay and self.server.stopping.wait(delay):
            self.close_connection = True
            return  # shutting down: give up quietly
        if fault is not None:
            api.stats.add("faults")
            if fault.kind == "drop":
                api.stats.add("dropped")
                self._drop()
                self._log("dropped", request_id, started)
                return
            if fault.kind in ("status", "html"):
                response = api.fault_response(fault)
                api.stats.count_status(response.status)
                self._send(response, request_id)
                self._log(response.status, request_id, started)
                return

        query = parse_qs(raw_query, keep_blank_values=True)
        response = api.answer(route, query, self.headers)
        api.stats.count_status(response.status)
        if fault is not None and fault.kind == "truncated":
            response.body = response.body[: max(1, len(response.body) // 2)]
        self._send(response, request_id)
        self._log(response.status, request_id, started)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone: dropping was the point

    # -- the control routes (only on the fake server) -------------------------------

    def _control(self, path: str, body: bytes) -> Response:
        api = self.server.api
        name = path[len(CONTROL_PREFIX) :].strip("/")
        if name == "faults":
            if self.command == "GET":
                return _json(200, {"faults": api.faults.snapshot()})
            if self.command == "DELETE":
                api.faults.clear()
                return _json(200, {"faults": []})
            if self.command == "POST":
                try:
                    data = json.loads(body or b"null")
                    items = data if isinstance(data, list) else [data]
                    faults = [Fault.from_mapping(item) for item in items]
                except (ValueError, FaultError) as error:
                    return _json(400, {"error": str(error)})
                for fault in faults:
                    api.faults.add(fault)
                return _json(201, {"faults": api.faults.snapshot()})
        elif name == "stats":
            if self.command == "GET":
                return _json(200, api.stats.as_dict())
            if self.command == "DELETE":
                api.stats.reset()
                return _json(200, api.stats.as_dict())
        elif name == "reset" and self.command == "POST":
            api.reset()
            return _json(200, {"reset": True})
        elif name == "health" and self.command == "GET":
            return _json(200, {"status": "ok", "cases": api.casebook.summary()})
        else:
            return _json(404, {"error": "unknown control route"})
        return _json(405, {"error": "method not allowed"})

    # -- output ---------------------------------------------------------------------

    def _send(self, response: Response, request_id: str) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("X-Request-ID", request_id)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except OSError:
            self.close_connection = True  # the client went away (e.g. it timed out)


def _json(status: int, data: Any) -> Response:
    return Response(status, json.dumps(data).encode(), JSON)


def _unknown_route() -> ApiError:
    return ApiError(
        "00404", "Route inconnue", "Cette route n'existe pas sur ce serveur"
    )


def _method_not_allowed() -> ApiError:
    return ApiError("00405", "Méthode non autorisée", "Seul GET est accepté")


class FakeApiServer(ThreadingHTTPServer):
    """Threads die with the server: a request sleeping on a latency fault never holds
    up the end of a test."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: FakeApi) -> None:
        self.api = api
        self.stopping = threading.Event()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, FakeApiHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    def shutdown(self) -> None:
        self.stopping.set()
        super().shutdown()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback; keep one line without request data.
        error = sys.exc_info()[1]
        LOGGER.warning("fakeapi connection error: %s", type(error).__name__)


def create_server(
    cases_dirs: Iterable[str | os.PathLike[str]],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    rate_window: float = DEFAULT_RATE_WINDOW,
    faults: list[Fault] | tuple[Fault, ...] = (),
    latency: float = 0.0,
    casebook: CaseBook | None = None,
    france_connect_userinfo: str | None = None,
) -> FakeApiServer:
    """A bound, not yet serving, fake server (``port=0``: a free port)."""
    book = casebook if casebook is not None else CaseBook.load(cases_dirs)
    api = FakeApi(
        book,
        token=token,
        rate_limit=rate_limit,
        rate_window=rate_window,
        latency=latency,
        france_connect_userinfo=france_connect_userinfo,
    )
    for fault in faults:
        api.faults.add(fault)
    return FakeApiServer((host, port), api)
