"""A per-token sliding-window rate limiter, like API Particulier's 20 requests/s."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # Unix time when the oldest counted request leaves the window
    retry_after: int  # whole seconds to wait, meaningful when not allowed


class SlidingWindowLimiter:
    """At most ``limit`` accepted requests per key in any ``window`` seconds.

    Refused requests are not counted, so a client that waits ``Retry-After`` gets
    through. ``limit <= 0`` disables the limiter (the server then sends no RateLimit
    headers).
    """

    def __init__(
        self,
        limit: int,
        window: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._wall_clock = wall_clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> Decision:
        now = self._clock()
        wall_offset = self._wall_clock() - now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if self.limit <= 0:
                return Decision(True, 0, 0, wall_offset + now + self.window, 0)
            if len(hits) >= self.limit:
                wait = hits[0] + self.window - now
                return Decision(
                    allowed=False,
                    limit=self.limit,
                    remaining=0,
                    reset_at=wall_offset + hits[0] + self.window,
                    retry_after=max(1, math.ceil(wait)),
                )
            hits.append(now)
            return Decision(
                allowed=True,
                limit=self.limit,
                remaining=self.limit - len(hits),
                reset_at=wall_offset + hits[0] + self.window,
                retry_after=0,
            )

    def peek(self) -> Decision:
        """Headers for a request that is not counted (no token to count it against)."""
        reset = self._wall_clock() + self.window
        return Decision(True, max(self.limit, 0), max(self.limit, 0), reset, 0)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
