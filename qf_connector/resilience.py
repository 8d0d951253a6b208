"""Process-wide throttle, circuit breaker, cap on lookups in flight and retry timing for
the API Particulier client.

Everything takes an injectable monotonic ``clock`` and ``sleep`` so that tests can run
on a fake clock; all shared state is guarded by a lock (one client serves every thread).
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

logger = logging.getLogger("qf_connector")

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class Throttle:
    """Token bucket (GCRA form) holding every caller of the process under ``rate``/s.

    ``burst`` is the bucket size. With the default of 1 the requests are evenly
    spaced; a larger bucket lets a burst through, which a per-second limit on the
    other side may punish. A slot is reserved under the lock and waited for outside
    it, so threads queue in arrival order without holding the lock while sleeping.

    A thread can wake up late (a loaded machine, the interpreter lock), and the
    threads after it on time: the requests would then bunch up. So the moment each
    caller is let through is checked again against a sliding ``window``: never more
    than ``window_cap`` (``ceil(rate × window) + burst - 1``, what evenly spaced slots
    put in one window) in any ``window`` seconds; a caller beyond it waits for the
    oldest to leave the window. ``on_release(time)`` is told each of those moments
    (monitoring, tests).
    """

    def __init__(
        self,
        rate: float = 10.0,
        burst: int = 1,
        *,
        window: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        on_release: Callable[[float], None] | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self.interval = 1.0 / self.rate
        self.window = float(window)
        self.window_cap = math.ceil(self.rate * self.window - 1e-9) + self.burst - 1
        self._clock = clock
        self._sleep = sleep
        self._on_release = on_release
        self._lock = threading.Lock()
        self._tat = 0.0  # theoretical arrival time of the next request
        self._paused_until = 0.0
        self._released: deque[float] = deque()  # within the last window

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for a slot; False if it would take longer than timeout (nothing is
        reserved when that is known before waiting)."""
        with self._lock:
            now = self._clock()
            deadline = None if timeout is None else now + timeout
            tat = max(self._tat, now, self._paused_until)
            start = max(tat - (self.burst - 1) * self.interval, self._paused_until)
            wait = max(0.0, start - now)
            if timeout is not None and wait > timeout:
                return False
            self._tat = tat + self.interval
        while True:
            if wait > 0:
                self._sleep(wait)
            with self._lock:
                now = self._clock()
                # A nanosecond's tolerance: slots summed in floating point land a hair
                # short of a whole window, and a wait of 1e-16 s would never pass.
                horizon = now - self.window + 1e-9
                while self._released and self._released[0] <= horizon:
                    self._released.popleft()
                if len(self._released) < self.window_cap:
                    self._released.append(now)
                    if self._on_release is not None:
                        self._on_release(now)
                    return True
                wait = self._released[0] + self.window - now
                if deadline is not None and now + wait > deadline:
                    return False

    def paused_for(self) -> float:
        """Seconds left of a pause ordered by the API (0 when not paused)."""
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (the API said to stop: 429, quota spent)."""
        if seconds <= 0:
            return
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


class InFlightLimit:
    """At most ``limit`` holders at a time; a caller beyond it is refused at once.

    ``limit`` may be a callable, read at each ``try_acquire`` (a setting). Every
    successful ``try_acquire`` must be paired with one ``release``.
    """

    def __init__(self, limit: int | Callable[[], int]) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._holders = 0

    @property
    def limit(self) -> int:
        return int(self._limit() if callable(self._limit) else self._limit)

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._holders

    def try_acquire(self) -> bool:
        """Take a place if one is free; never waits."""
        with self._lock:
            if self._holders >= self.limit:
                return False
            self._holders += 1
            return True

    def release(self) -> None:
        with self._lock:
            if self._holders <= 0:
                raise RuntimeError("released more often than acquired")
            self._holders -= 1


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Fails fast after ``failure_threshold`` consecutive provider failures.

    Open for ``cool_down`` seconds, then half-open: one probe request goes through;
    its success closes the circuit, its failure opens it again for another cool-down.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        cool_down: float = 30.0,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cool_down = cool_down
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._current_state()

    def _current_state(self) -> BreakerState:
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.cool_down
        ):
            self._state = BreakerState.HALF_OPEN
            self._probe_in_flight = False
        return self._state

    def allow(self) -> bool:
        """May a request go out now? In half-open state only one probe at a time."""
        with self._lock:
            state = self._current_state()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self._probe_in_flight:
                self._probe_in_flight = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            if self._state is not BreakerState.CLOSED:
                logger.info("API Particulier circuit closed")
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._probe_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            state = self._current_state()
            self._failures += 1
            if state is BreakerState.HALF_OPEN or (
                state is BreakerState.CLOSED
                and self._failures >= self.failure_threshold
            ):
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
                self._probe_in_flight = False
                logger.warning(
                    "API Particulier circuit opened for %.0f s after %d failures",
                    self.cool_down,
                    self._failures,
                )

    def record_neutral(self) -> None:
        """An answer that says nothing of the provider's health (e.g. 429)."""
        with self._lock:
            self._probe_in_flight = False


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds or an HTTP-date; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


# A value this large is a Unix timestamp, not a number of seconds.
_TIMESTAMP_THRESHOLD = 1_000_000_000


def parse_rate_limit_reset(
    value: str | None, now: datetime | None = None
) -> float | None:
    """``RateLimit-Reset`` as seconds from now: it is sent as seconds or as a timestamp."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return parse_retry_after(value, now)
    if number >= _TIMESTAMP_THRESHOLD:
        now = now or datetime.now(UTC)
        return max(0.0, number - now.timestamp())
    return max(0.0, number)


def backoff_delay(
    attempt: int,
    *,
    base: float = 0.5,
    cap: float = 4.0,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff after failed ``attempt`` (1-based), with up to 25 % jitter."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    jitter = (rng or random).uniform(0.0, delay * 0.25)  # noqa: S311 - not crypto
    return delay + jitter
