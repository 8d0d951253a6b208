"""Starting the local FranceConnect from tests, and driving it over HTTP."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from .server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    MockProviderServer,
    create_server,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "MockProviderControl",
    "mock_provider_server",
]


@contextmanager
def mock_provider_server(**options) -> Iterator[MockProviderServer]:
    """The local FranceConnect serving from a thread on a free loopback port."""
    server = create_server(**options)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="franceconnect-mock",
        daemon=True,
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class MockProviderControl:
    """The control routes, over HTTP (works for a thread or a process alike)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _call(self, method: str, name: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(  # noqa: S310 - our own loopback server
            f"{self.base_url}/__mock__/{name}",
            data=json.dumps(body or {}).encode() if method == "POST" else None,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return json.loads(response.read())

    def stats(self) -> dict:
        return self._call("GET", "stats")

    def expire(self, sub: str | None = None) -> int:
        return self._call("POST", "expire", {"sub": sub} if sub else {})["expired"]

    def tamper(self, what: str) -> None:
        """The next ID token goes out spoilt (signature, key, nonce, audience, issuer)."""
        self._call("POST", "tamper", {"what": what})

    def reset(self) -> None:
        self._call("POST", "reset")
