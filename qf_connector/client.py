"""The API Particulier quotient familial client: one httpx client, typed results and errors.

Plain Python (no Django): the Django layer (``services.py``) builds one shared instance
per process from the settings and persists the :class:`CallRecord` of every lookup.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx

from home.siret import is_valid_siret

from .errors import (
    FRANCE_CONNECT_SESSION_MESSAGE,
    NOT_COMPUTABLE,
    NOT_COMPUTABLE_MESSAGE,
    ErrorKind,
    QuotientError,
)
from .identity import (
    BIRTH_COMMUNE,
    BIRTH_COUNTRY,
    BIRTH_DATE,
    BIRTH_NAME,
    FIRST_NAMES,
    MONTH,
    RECIPIENT,
    SEX,
    Identity,
    QfMonth,
    coerce_month,
    month_params,
    paris_today,
)
from .privacy import install_log_redaction
from .resilience import (
    CircuitBreaker,
    InFlightLimit,
    Throttle,
    backoff_delay,
    parse_rate_limit_reset,
    parse_retry_after,
)
from .results import (
    CallRecord,
    MalformedResponse,
    ParsedQuotient,
    QuotientResult,
    parse_error,
    parse_success,
)

logger = logging.getLogger("qf_connector")

IDENTITY_PATH = "/v3/dss/quotient_familial/identite"
FRANCE_CONNECT_PATH = "/v3/dss/quotient_familial/france_connect"
USER_AGENT = "portail-famille-qf-connector/1.0"
# A QF answer is a few kilobytes; anything far bigger is not the documented JSON.
MAX_BODY_BYTES = 1_000_000
# Longest pause a RateLimit-Reset header may impose on the whole process.
MAX_QUOTA_PAUSE = 60.0

NOT_IDENTIFIED_CODES = {"00366"}
CONFIGURATION_422_CODES = {"00203", "00210"}
RETRYABLE_SERVER_STATUSES = {502, 503, 504}

# API parameter -> (our field name, French label) for 422 answers naming a parameter.
_API_PARAMETERS = {
    "nomNaissance": (BIRTH_NAME, "nom de naissance"),
    "prenoms": (FIRST_NAMES, "prénoms"),
    "prenoms[]": (FIRST_NAMES, "prénoms"),
    "sexeEtatCivil": (SEX, "sexe"),
    "anneeDateNaissance": (BIRTH_DATE, "date de naissance"),
    "moisDateNaissance": (BIRTH_DATE, "date de naissance"),
    "jourDateNaissance": (BIRTH_DATE, "date de naissance"),
    "codeCogInseeCommuneNaissance": (BIRTH_COMMUNE, "commune de naissance"),
    "codeCogInseePaysNaissance": (BIRTH_COUNTRY, "pays de naissance"),
    "annee": (MONTH, "mois du quotient familial"),
    "mois": (MONTH, "mois du quotient familial"),
}

CallHook = Callable[[CallRecord], None]


class _DeadlineExceeded(Exception):  # noqa: N818 - internal control flow
    pass


@dataclass
class _Verdict:
    """How one HTTP answer is read: a result, or an error and whether to retry it."""

    parsed: ParsedQuotient | None = None
    error: QuotientError | None = None
    retry: str | None = None  # "server", "rate", "conflict"
    wait_hint: float | None = None
    breaker: str = "success"  # "success", "failure", "neutral"


@dataclass
class _Trace:
    """What the call record needs, gathered over the attempts of one lookup."""

    attempts: int = 0
    http_status: int | None = None
    request_id: str | None = None
    cached: bool = False


class QuotientClient:
    """Looks up a family's quotient familial on API Particulier v3.

    Every lookup returns a :class:`QuotientResult` or raises :class:`QuotientError`,
    within ``total_timeout`` seconds whatever the API does. Retries follow
    CONTRACT.md (429 after ``Retry-After``, 409 once, 502/503/504 and network errors,
    with backoff); the throttle and the circuit breaker are shared by every thread
    using this client, so one instance per process is the intended use.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        recipient: str | Callable[[], str],
        *,
        transport: httpx.BaseTransport | None = None,
        connect_timeout: float = 3.0,
        read_timeout: float = 12.0,
        total_timeout: float = 20.0,
        rate: float = 10.0,
        burst: int = 1,
        throttle: Throttle | None = None,
        breaker: CircuitBreaker | None = None,
        failure_threshold: int = 5,
        cool_down: float = 30.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 4.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] | None = None,
        today: Callable[[], date] = paris_today,
        rng: random.Random | None = None,
        on_call: CallHook | None = None,
        hard_deadline: bool = True,
        max_workers: int = 16,
    ) -> None:
        install_log_redaction()
        self.base_url = str(base_url).rstrip("/")
        self._token = token or ""
        # A callable is read at each lookup: the commune's SIRET may be edited.
        self._recipient = recipient
        self.connect_timeout = float(connect_timeout)
        self.read_timeout = float(read_timeout)
        self.total_timeout = float(total_timeout)
        self.max_attempts = max(1, int(max_attempts))
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._clock = clock
        self._sleep = sleep
        self._now = now or (lambda: datetime.now(UTC))
        self._today = today
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not crypto
        self.on_call = on_call
        self.throttle = throttle or Throttle(rate, burst, clock=clock, sleep=sleep)
        self.breaker = breaker or CircuitBreaker(
            failure_threshold, cool_down, clock=clock
        )
        self.hard_deadline = hard_deadline
        self._max_workers = max_workers
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(
                connect=self.connect_timeout,
                read=self.read_timeout,
                write=self.read_timeout,
                pool=self.connect_timeout,
            ),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"QuotientClient(base_url={self.base_url!r})"

    @property
    def recipient(self) -> str:
        value = self._recipient() if callable(self._recipient) else self._recipient
        return str(value or "").strip()

    def close(self) -> None:
        self._http.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> QuotientClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Public lookups

    def lookup_by_identity(
        self,
        identity: Identity,
        month: QfMonth | str | None = None,
        fresh: bool = False,
        *,
        on_call: CallHook | None = None,
        total_timeout: float | None = None,
        slots: InFlightLimit | None = None,
    ) -> QuotientResult:
        """QF of the allocataire with this civil status (checked locally first).

        With ``slots``, the lookup takes one of them for its whole length, or fails at
        once (UNAVAILABLE, reason "busy", no HTTP request) when none is free.
        """
        identity.check(self._today())
        qf_month = coerce_month(month, self._today)
        params = identity.query_params() + month_params(qf_month)
        return self._lookup(
            IDENTITY_PATH,
            params,
            bearer=self._token,
            fresh=fresh,
            on_call=on_call,
            total_timeout=total_timeout,
            france_connect=False,
            slots=slots,
        )

    def lookup_by_france_connect(
        self,
        access_token: str,
        month: QfMonth | str | None = None,
        fresh: bool = False,
        *,
        on_call: CallHook | None = None,
        total_timeout: float | None = None,
        slots: InFlightLimit | None = None,
    ) -> QuotientResult:
        """QF of the parent signed in with FranceConnect (their access token is the bearer);
        ``slots`` as for :meth:`lookup_by_identity`."""
        qf_month = coerce_month(month, self._today)
        if not access_token or not str(access_token).strip():
            raise QuotientError(
                ErrorKind.CONFIGURATION,
                FRANCE_CONNECT_SESSION_MESSAGE,
                reason="france_connect_token_missing",
            )
        params = month_params(qf_month)
        return self._lookup(
            FRANCE_CONNECT_PATH,
            params,
            bearer=str(access_token).strip(),
            fresh=fresh,
            on_call=on_call,
            total_timeout=total_timeout,
            france_connect=True,
            slots=slots,
        )

    # The lookup loop

    def _lookup(
        self,
        path: str,
        params: list[tuple[str, str]],
        *,
        bearer: str,
        fresh: bool,
        on_call: CallHook | None,
        total_timeout: float | None,
        france_connect: bool,
        slots: InFlightLimit | None = None,
    ) -> QuotientResult:
        started_at = self._now()
        start = self._clock()
        deadline = start + (total_timeout or self.total_timeout)
        trace = _Trace()
        error: QuotientError | None = None
        result: QuotientResult | None = None
        try:
            with _slot(slots):
                result = self._run(
                    path,
                    params,
                    bearer,
                    fresh,
                    deadline,
                    trace,
                    france_connect,
                    started_at,
                )
        except QuotientError as raised:
            error = raised
        except Exception as unexpected:  # noqa: BLE001 - a lookup never leaks a traceback
            # Only the type: an exception message may quote a URL.
            logger.error(
                "API Particulier %s: unexpected %s", path, type(unexpected).__name__
            )
            error = QuotientError(ErrorKind.UNAVAILABLE, reason="internal_error")
        duration_ms = int(round((self._clock() - start) * 1000))
        if error is not None:
            error.attempts = trace.attempts
            error.request_id = error.request_id or trace.request_id
            if error.status is None:
                error.status = trace.http_status
        record = CallRecord(
            endpoint=path,
            started_at=started_at,
            duration_ms=duration_ms,
            http_status=trace.http_status,
            error_code=error.code if error else None,
            error_kind=error.kind.value if error else None,
            request_id=trace.request_id,
            attempts=trace.attempts,
            cached=trace.cached,
            detail=error.reason if error else None,
            provider=result.provider if result is not None else None,
        )
        self._log_outcome(record)
        self._emit(record, on_call)
        if error is not None:
            raise error
        return result

    def _run(
        self,
        path: str,
        params: list[tuple[str, str]],
        bearer: str,
        fresh: bool,
        deadline: float,
        trace: _Trace,
        france_connect: bool,
        started_at: datetime,
    ) -> QuotientResult:
        if not bearer:
            logger.error("API Particulier: no token configured")
            raise QuotientError(ErrorKind.CONFIGURATION, reason="token_missing")
        recipient = self.recipient
        if not is_valid_siret(recipient):
            logger.error("API Particulier: the recipient SIRET is missing or invalid")
            raise QuotientError(
                ErrorKind.CONFIGURATION, field=RECIPIENT, reason="recipient_invalid"
            )
        params = [("recipient", recipient), *params]
        headers = {"Authorization": f"Bearer {bearer}"}
        if fresh:
            headers["Cache-Control"] = "no-cache"
        server_failures = 0
        conflicts = 0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise QuotientError(ErrorKind.UNAVAILABLE, reason="deadline")
            if not self.breaker.allow():
                raise QuotientError(ErrorKind.UNAVAILABLE, reason="circuit_open")
            verdict = _Verdict(breaker="neutral")
            try:
                if not self.throttle.acquire(timeout=remaining):
                    # Held back past the deadline: by the API's own order to wait
                    # (429, quota spent), or by our queue of callers.
                    if self.throttle.paused_for() > 0:
                        raise QuotientError(ErrorKind.RATE_LIMITED, reason="throttle")
                    raise QuotientError(ErrorKind.UNAVAILABLE, reason="throttle")
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise QuotientError(ErrorKind.UNAVAILABLE, reason="deadline")
                trace.attempts += 1
                verdict = self._attempt(
                    path, params, headers, remaining, deadline, trace, france_connect
                )
            finally:
                self._tell_breaker(verdict.breaker)
            if verdict.parsed is not None:
                return self._result(verdict.parsed, trace, started_at)
            error = verdict.error
            if verdict.retry is None or trace.attempts >= self.max_attempts:
                raise error
            if verdict.retry == "conflict":
                conflicts += 1
                if conflicts > 1:
                    raise error
                delay = verdict.wait_hint or backoff_delay(
                    1, base=self.backoff_base, cap=self.backoff_cap, rng=self._rng
                )
            elif verdict.retry == "rate":
                delay = verdict.wait_hint
                if delay is None:
                    delay = max(1.0, self._backoff(trace.attempts))
                # Stop as told, for every thread of the process.
                self.throttle.pause(delay)
            else:
                server_failures += 1
                delay = verdict.wait_hint or self._backoff(server_failures)
            if self._clock() + delay >= deadline:
                # Never sleep past the deadline: answer now with what we know.
                raise error
            logger.info(
                "API Particulier %s: retrying in %.1f s after %s",
                path,
                delay,
                error.code or error.reason or trace.http_status,
            )
            self._sleep(delay)

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt, base=self.backoff_base, cap=self.backoff_cap, rng=self._rng
        )

    def _tell_breaker(self, outcome: str) -> None:
        if outcome == "success":
            self.breaker.record_success()
        elif outcome == "failure":
            self.breaker.record_failure()
        else:
            self.breaker.record_neutral()

    def _result(
        self, parsed: ParsedQuotient, trace: _Trace, started_at: datetime
    ) -> QuotientResult:
        if parsed.value == 0:
            raise QuotientError(
                ErrorKind.NO_FILE,
                NOT_COMPUTABLE_MESSAGE,
                status=200,
                reason=NOT_COMPUTABLE,
            )
        return QuotientResult(
            value=parsed.value,
            provider=parsed.provider,
            year=parsed.year,
            month=parsed.month,
            computation_year=parsed.computation_year,
            computation_month=parsed.computation_month,
            children=parsed.children,
            request_id=trace.request_id,
            cached=trace.cached,
            retrieved_at=started_at,
            attempts=trace.attempts,
        )

    # One HTTP attempt

    def _attempt(
        self,
        path: str,
        params: list[tuple[str, str]],
        headers: dict[str, str],
        remaining: float,
        deadline: float,
        trace: _Trace,
        france_connect: bool,
    ) -> _Verdict:
        timeout = httpx.Timeout(
            connect=min(self.connect_timeout, remaining),
            read=min(self.read_timeout, remaining),
            write=min(self.read_timeout, remaining),
            pool=min(self.connect_timeout, remaining),
        )
        request = self._http.build_request(
            "GET", path, params=params, headers=headers, timeout=timeout
        )
        attempt_start = self._clock()
        failure: str | None = None
        response: httpx.Response | None = None
        try:
            response = self._send(request, remaining, deadline)
        except httpx.TimeoutException:
            failure = "timeout"
        except _DeadlineExceeded:
            failure = "deadline"
        except (httpx.TransportError, OSError):
            failure = "network"
        except httpx.HTTPError:
            failure = "http_error"
        elapsed_ms = int(round((self._clock() - attempt_start) * 1000))
        if response is None:
            trace.http_status = None
            logger.info(
                "API Particulier %s attempt %d: %s after %d ms",
                path,
                trace.attempts,
                failure,
                elapsed_ms,
            )
            # A timeout or dropped connection is retried (network error); running
            # out of the total budget is not.
            return _Verdict(
                error=QuotientError(ErrorKind.UNAVAILABLE, reason=failure),
                retry=None if failure == "deadline" else "server",
                breaker="failure",
            )
        trace.http_status = response.status_code
        trace.request_id = response.headers.get("X-Request-ID") or trace.request_id
        trace.cached = (
            response.headers.get("X-Response-Cached", "").strip().lower() == "true"
        )
        self._honour_quota(response)
        logger.info(
            "API Particulier %s attempt %d: HTTP %d in %d ms (request id %s)",
            path,
            trace.attempts,
            response.status_code,
            elapsed_ms,
            trace.request_id,
        )
        return self._classify(response, france_connect)

    def _send(
        self, request: httpx.Request, remaining: float, deadline: float
    ) -> httpx.Response:
        if not self.hard_deadline:
            return self._http.send(request)
        # httpx's timeouts bound each network operation, not the whole exchange: a
        # server dribbling bytes could hold a request far longer. The exchange runs
        # in a worker thread so that the caller gets its answer at the deadline.
        future = self._get_executor().submit(self._send_in_worker, request, deadline)
        try:
            return future.result(timeout=remaining)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise _DeadlineExceeded from None

    def _send_in_worker(
        self, request: httpx.Request, deadline: float
    ) -> httpx.Response:
        if self._clock() >= deadline:  # queued behind hung requests: caller has gone
            raise _DeadlineExceeded
        return self._http.send(request)

    def _get_executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self._max_workers, thread_name_prefix="qf-http"
                )
            return self._executor

    def _honour_quota(self, response: httpx.Response) -> None:
        remaining_quota = response.headers.get("RateLimit-Remaining")
        if remaining_quota is None or remaining_quota.strip() != "0":
            return
        reset = parse_rate_limit_reset(response.headers.get("RateLimit-Reset"))
        if reset:
            self.throttle.pause(min(reset, MAX_QUOTA_PAUSE))

    # Reading an answer

    def _classify(self, response: httpx.Response, france_connect: bool) -> _Verdict:
        status = response.status_code
        body, malformed = _json_body(response)

        if status in (401, 403):
            code = _error_code(body)
            message = (
                FRANCE_CONNECT_SESSION_MESSAGE
                if (france_connect and status == 401)
                else None
            )
            if france_connect and status == 401:
                # The parent's FranceConnect session (expired): they reconnect; not a
                # matter for the operators.
                logger.info(
                    "API Particulier: FranceConnect session refused, code %s", code
                )
            else:
                logger.error(
                    "API Particulier refused the credentials: HTTP %d, code %s",
                    status,
                    code,
                )
            return _Verdict(
                error=QuotientError(
                    ErrorKind.CONFIGURATION, message, status=status, code=code
                )
            )
        if status == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            api_error = _safe_parse_error(body)
            if wait is None and api_error is not None:
                wait = api_error.retry_in
            return _Verdict(
                error=QuotientError(
                    ErrorKind.RATE_LIMITED,
                    status=status,
                    code=api_error.code if api_error else None,
                ),
                retry="rate",
                wait_hint=wait,
                breaker="neutral",
            )
        if status >= 500:
            api_error = _safe_parse_error(body)
            return _Verdict(
                error=QuotientError(
                    ErrorKind.UNAVAILABLE,
                    status=status,
                    code=api_error.code if api_error else None,
                    reason=None if api_error else "malformed_body",
                ),
                retry="server" if status in RETRYABLE_SERVER_STATUSES else None,
                wait_hint=api_error.retry_in if api_error else None,
                breaker="failure",
            )
        if status == 200:
            if malformed:
                return _malformed(status)
            try:
                return _Verdict(parsed=parse_success(body))
            except MalformedResponse:
                return _malformed(status)
        if status == 410:
            logger.error("API Particulier: endpoint gone (HTTP 410)")
            return _Verdict(
                error=QuotientError(
                    ErrorKind.CONFIGURATION, status=status, code=_error_code(body)
                )
            )
        api_error = _safe_parse_error(body)
        if status == 409:
            return _Verdict(
                error=QuotientError(
                    ErrorKind.UNAVAILABLE,
                    status=409,
                    code=api_error.code if api_error else None,
                ),
                retry="conflict",
                wait_hint=api_error.retry_in if api_error else None,
                breaker="neutral",
            )
        if api_error is None or status not in (400, 404, 422):
            return _malformed(status)
        code = api_error.code
        if status == 404:
            return _Verdict(
                error=QuotientError(ErrorKind.NO_FILE, status=404, code=code)
            )
        if status == 422 and code in NOT_IDENTIFIED_CODES:
            return _Verdict(
                error=QuotientError(ErrorKind.NOT_IDENTIFIED, status=422, code=code)
            )
        if status == 422 and code in CONFIGURATION_422_CODES:
            logger.error("API Particulier refused the recipient: code %s", code)
            return _Verdict(
                error=QuotientError(
                    ErrorKind.CONFIGURATION, status=422, code=code, field=RECIPIENT
                )
            )
        # Local validation should have caught this: worth a warning.
        field_name, label = _API_PARAMETERS.get(api_error.parameter or "", (None, None))
        logger.warning(
            "API Particulier rejected a parameter: HTTP %d, code %s, parameter %s",
            status,
            code,
            api_error.parameter,
        )
        message = (
            f"Le service a refusé le champ « {label} » : vérifiez-le."
            if label
            else "Le service a refusé certaines informations saisies : vérifiez-les."
        )
        return _Verdict(
            error=QuotientError(
                ErrorKind.INVALID_INPUT,
                message,
                status=status,
                code=code,
                field=field_name,
            )
        )

    # Call records

    def _log_outcome(self, record: CallRecord) -> None:
        logger.info(
            "API Particulier %s: %s, HTTP %s, code %s, %d attempt(s), %d ms, "
            "request id %s",
            record.endpoint,
            record.error_kind or "ok",
            record.http_status,
            record.error_code,
            record.attempts,
            record.duration_ms,
            record.request_id,
        )

    def _emit(self, record: CallRecord, on_call: CallHook | None) -> None:
        for hook in (self.on_call, on_call):
            if hook is None:
                continue
            try:
                hook(record)
            except Exception as failure:  # noqa: BLE001 - the log must not break a lookup
                logger.error(
                    "API Particulier call record hook failed: %s",
                    type(failure).__name__,
                )


@contextlib.contextmanager
def _slot(slots: InFlightLimit | None):
    """Holds one of ``slots`` (if any) while the lookup runs, whatever its outcome."""
    if slots is None:
        yield
        return
    if not slots.try_acquire():
        logger.warning(
            "API Particulier: %d lookups already in flight in this process, "
            "this one is refused without a request",
            slots.limit,
        )
        raise QuotientError(ErrorKind.UNAVAILABLE, reason="busy")
    try:
        yield
    finally:
        slots.release()


def _json_body(response: httpx.Response) -> tuple[Any, bool]:
    content = response.content
    if not content or len(content) > MAX_BODY_BYTES:
        return None, True
    try:
        return json.loads(content), False
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None, True


def _safe_parse_error(body: Any):
    try:
        return parse_error(body)
    except MalformedResponse:
        return None


def _error_code(body: Any) -> str | None:
    api_error = _safe_parse_error(body)
    return api_error.code if api_error else None


def _malformed(status: int) -> _Verdict:
    logger.warning("API Particulier answered HTTP %d with an undocumented body", status)
    return _Verdict(
        error=QuotientError(
            ErrorKind.UNAVAILABLE, status=status, reason="malformed_body"
        ),
        breaker="failure",
    )
