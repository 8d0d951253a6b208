"""Running the fake PayFiP in a thread (tests) and driving it over HTTP."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from .server import FakePayFiPServer, create_server


@contextmanager
def running_fake_payfip() -> Iterator[FakePayFiPServer]:
    server = create_server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class FakePayFiPControl:
    """Faults and test actions, over HTTP like a separate process would need."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def post(self, path: str, data: dict | None = None) -> dict:
        request = urllib.request.Request(  # noqa: S310 - our loopback fake
            self.base_url + path,
            data=json.dumps(data or {}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")

    def faults(self, **faults) -> dict:
        return self.post("/__fake__/control", faults)

    def reset(self) -> None:
        self.post("/__fake__/reset")

    def forget(self, idop: str) -> None:
        self.post("/__fake__/forget", {"idop": idop})

    def notify(self, idop: str, url: str | None = None) -> dict:
        return self.post(
            "/__fake__/notify", {"idop": idop, **({"url": url} if url else {})}
        )

    def choose(self, idop: str, choice: str) -> int:
        """What the payer's click on the payment page does; returns the redirect URL."""
        data = urllib.parse.urlencode({"idop": idop, "choice": choice}).encode()
        request = urllib.request.Request(  # noqa: S310
            self.base_url + "/tpa/paiementws.web", data=data, method="POST"
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            if error.code == 303:
                return error.headers["Location"]
            raise
        raise AssertionError("the payment page did not redirect")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
