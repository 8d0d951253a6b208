"""Faults the fake server can be told to inject, so the client's resilience is tested.

Faults wait in a first-in first-out queue. Each API request (never a ``/__fake__``
one) takes the fault at the head; a fault with ``times`` is removed once it has
served that many requests, a fault without stays until cleared. So "two 503 then
normal answers" is one fault ``{"kind": "status", "status": 503, "times": 2}``, and
"a 429, then a dropped connection, then normal" is two faults queued in that order.

Kinds (every kind also takes ``latency``, seconds slept before answering):

``latency``     only the delay (``seconds`` is accepted for ``latency``), then the
                normal answer
``status``      the contract's JSON error body for ``status`` (401, 403, 404, 409,
                422, 429, 500, 502, 503 or 504) and optional ``code`` (504 defaults
                to ``37001``, 502 to ``37999``…); 429 also sends ``Retry-After``
``conflict``    shorthand for status 409, code ``00015``
``rate_limit``  shorthand for status 429, code ``00429``, ``Retry-After:
                retry_after`` (default 1)
``html``        an HTML error page as a reverse proxy sends it (``status``, default
                502, ``text/html``)
``truncated``   the normal answer, status and headers, with its JSON body cut in
                half (``Content-Length`` matches what is sent)
``drop``        the connection is closed without any answer
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from .errors import CATALOGUE

KINDS = ("latency", "status", "conflict", "rate_limit", "html", "truncated", "drop")
MAX_LATENCY = 600.0


class FaultError(ValueError):
    """An unusable fault description (answered 400 by the control endpoint)."""


@dataclass(frozen=True)
class Fault:
    kind: str
    latency: float = 0.0
    status: int | None = None
    code: str | None = None
    retry_after: int | None = None
    times: int | None = None

    @classmethod
    def from_mapping(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise FaultError("a fault is a JSON object")
        data = dict(data)
        if "seconds" in data and "latency" not in data:
            data["latency"] = data.pop("seconds")
        unknown = set(data) - {
            "kind",
            "latency",
            "status",
            "code",
            "retry_after",
            "times",
        }
        if unknown:
            raise FaultError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        kind = data.get("kind")
        if kind not in KINDS:
            raise FaultError(f"kind must be one of {', '.join(KINDS)}")
        try:
            latency = float(data.get("latency") or 0.0)
            status = None if data.get("status") is None else int(data["status"])
            retry_after = (
                None if data.get("retry_after") is None else int(data["retry_after"])
            )
            times = None if data.get("times") is None else int(data["times"])
        except (TypeError, ValueError) as error:
            raise FaultError(
                "latency, status, retry_after and times are numbers"
            ) from error
        code = None if data.get("code") is None else str(data["code"])
        if not 0 <= latency <= MAX_LATENCY:
            raise FaultError(f"latency must be between 0 and {MAX_LATENCY:g} seconds")
        if times is not None and times < 1:
            raise FaultError("times must be at least 1")
        if retry_after is not None and retry_after < 0:
            raise FaultError("retry_after cannot be negative")

        if kind == "conflict":
            kind, status, code = "status", 409, code or "00015"
        elif kind == "rate_limit":
            kind, status, code = "status", 429, code or "00429"
        if kind == "status":
            if status not in CATALOGUE:
                raise FaultError(
                    "status must be one of " + ", ".join(str(s) for s in CATALOGUE)
                )
            if status == 429 and retry_after is None:
                retry_after = 1
        elif kind == "html":
            status = status or 502
            if not 400 <= status <= 599:
                raise FaultError("an HTML error page has a 4xx or 5xx status")
        return cls(kind, latency, status, code, retry_after, times)

    @classmethod
    def from_spec(cls, spec: str) -> Fault:
        """The command line form: JSON, or ``kind[:key=value[,key=value…]]`` such as
        ``status:status=504,code=37002,times=2`` or ``latency:seconds=3``."""
        spec = spec.strip()
        if spec.startswith("{"):
            try:
                return cls.from_mapping(json.loads(spec))
            except json.JSONDecodeError as error:
                raise FaultError(f"invalid JSON fault: {error}") from error
        kind, _, rest = spec.partition(":")
        data: dict[str, Any] = {"kind": kind.strip()}
        for item in filter(None, (part.strip() for part in rest.split(","))):
            key, equals, value = item.partition("=")
            if not equals:
                raise FaultError(f"expected key=value, got {item!r}")
            data[key.strip()] = value.strip()
        return cls.from_mapping(data)

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass
class _Pending:
    fault: Fault
    left: int | None


class FaultQueue:
    """Thread-safe: handler threads take faults while a test adds or clears them."""

    def __init__(self) -> None:
        self._pending: deque[_Pending] = deque()
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._pending.append(_Pending(fault, fault.times))

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def take(self) -> Fault | None:
        with self._lock:
            if not self._pending:
                return None
            head = self._pending[0]
            if head.left is not None:
                head.left -= 1
                if head.left <= 0:
                    self._pending.popleft()
            return head.fault

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {**pending.fault.as_dict(), "left": pending.left}
                for pending in self._pending
            ]
