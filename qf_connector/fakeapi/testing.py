"""Starting the fake API Particulier from tests, benchmarks and ``make demo``.

In a thread of the current process (fast, one per test if need be)::

    with running_fake_api(rate_limit=20) as base_url:
        client = QuotientClient(base_url=base_url, token=DEFAULT_TOKEN, …)

As a separate process, like production's remote API (``make demo``, benchmarks)::

    with running_fake_api_process(rate_limit=20) as base_url:
        …

    process = start_fake_api_process(port=8081)   # keep it running
    …
    process.stop()

Both default to the staging cases shipped with the package (``staging_dir()``) and
to the demo token ``DEFAULT_TOKEN``.
Faults are injected with ``FakeApiControl(base_url)`` (over HTTP, so it works with
both forms) or given at start-up as ``faults=[Fault.from_spec("drop")]``.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from .cases import (
    DEMO_ALLOCATAIRE,
    DEMO_CASE_FILE,
    DEMO_QUERY,
    FRANCE_CONNECT,
    IDENTITE,
    CaseBook,
    staging_dir,
)
from .faults import Fault
from .server import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    DEFAULT_TOKEN,
    FakeApiServer,
    create_server,
)

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_TOKEN",
    "DEMO_ALLOCATAIRE",
    "DEMO_CASE_FILE",
    "DEMO_QUERY",
    "FRANCE_CONNECT",
    "IDENTITE",
    "TEST_RECIPIENT",
    "FakeApiControl",
    "FakeApiProcess",
    "Fault",
    "fake_api_server",
    "load_cases",
    "running_fake_api",
    "running_fake_api_process",
    "staging_dir",
    "start_fake_api_process",
]

# The SIRET the API's own documentation uses as recipient (DINUM); Luhn-valid.
TEST_RECIPIENT = "13002526500013"

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
CasesDirs = Iterable[str | os.PathLike[str]] | None


def _dirs(cases_dirs: CasesDirs) -> tuple[str, ...]:
    if cases_dirs is None:
        return (str(staging_dir()),)
    return tuple(str(Path(d).resolve()) for d in cases_dirs)


@lru_cache(maxsize=8)
def _cached_book(dirs: tuple[str, ...]) -> CaseBook:
    return CaseBook.load(dirs)


def load_cases(cases_dirs: CasesDirs = None) -> CaseBook:
    """The cases a server started with ``cases_dirs`` answers from (loaded once):
    ``load_cases().cases[IDENTITE]`` lists every identite case, with its
    ``query_params()``, ``status`` and ``payload_json()``."""
    return _cached_book(_dirs(cases_dirs))


@contextmanager
def fake_api_server(
    cases_dirs: CasesDirs = None,
    *,
    token: str = DEFAULT_TOKEN,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    rate_window: float = DEFAULT_RATE_WINDOW,
    faults: Sequence[Fault] = (),
    latency: float = 0.0,
    host: str = "127.0.0.1",
) -> Iterator[FakeApiServer]:
    """A fake server serving from a background thread on a free loopback port; the
    ``FakeApiServer`` itself, for tests that reach into its state."""
    server = create_server(
        [],
        casebook=load_cases(cases_dirs),
        host=host,
        token=token,
        rate_limit=rate_limit,
        rate_window=rate_window,
        faults=faults,
        latency=latency,
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="fakeapi",
        daemon=True,
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def running_fake_api(
    cases_dirs: CasesDirs = None,
    *,
    token: str = DEFAULT_TOKEN,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    rate_window: float = DEFAULT_RATE_WINDOW,
    faults: Sequence[Fault] = (),
    latency: float = 0.0,
    host: str = "127.0.0.1",
) -> Iterator[str]:
    """``with running_fake_api() as base_url:`` a fake server in a background thread,
    e.g. ``http://127.0.0.1:41234``; stopped when the block ends."""
    with fake_api_server(
        cases_dirs,
        token=token,
        rate_limit=rate_limit,
        rate_window=rate_window,
        faults=faults,
        latency=latency,
        host=host,
    ) as server:
        yield server.base_url


class FakeApiProcess:
    """A fake server running as its own process (``python -m qf_connector.fakeapi``)."""

    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.process = process
        self.base_url = base_url

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> FakeApiProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_fake_api_process(
    cases_dirs: CasesDirs = None,
    *,
    token: str = DEFAULT_TOKEN,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    rate_window: float = DEFAULT_RATE_WINDOW,
    faults: Sequence[str] = (),
    latency: float = 0.0,
    host: str = "127.0.0.1",
    port: int = 0,
    extra_args: Sequence[str] = (),
    stderr: int | IO[Any] | None = None,
    python: str = sys.executable,
    startup_timeout: float = 20.0,
) -> FakeApiProcess:
    """Start the server as a subprocess and return once it accepts connections.

    ``faults`` are command line specs (``"drop"``, ``"status:status=503,times=2"``).
    ``stderr`` receives the server's log lines (default: inherited). ``port=0``
    lets the server pick a free port, read back from its ``READY`` line.
    """
    command = [
        python,
        "-m",
        "qf_connector.fakeapi",
        "--host",
        host,
        "--port",
        str(port),
        "--token",
        token,
        "--rate-limit",
        str(rate_limit),
        "--rate-window",
        str(rate_window),
        "--latency",
        str(latency),
        "--cases",
        *_dirs(cases_dirs),
    ]
    for spec in faults:
        command += ["--fault", spec]
    command += list(extra_args)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPOSITORY_ROOT), env.get("PYTHONPATH")])
    )
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(  # noqa: S603 - our own module, no shell
        command,
        cwd=REPOSITORY_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    base_url = _await_ready(process, startup_timeout)
    return FakeApiProcess(process, base_url)


def _await_ready(process: subprocess.Popen[str], timeout: float) -> str:
    if process.stdout is None:
        raise RuntimeError("the fake API process needs stdout=PIPE")
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or process.poll() is not None:
            break
        readable, _, _ = select.select([process.stdout], [], [], min(left, 0.5))
        if readable:
            line = process.stdout.readline()
            if line.startswith("READY "):
                return line.split()[1]
            if not line:
                break
    code = process.poll()
    if code is None:
        process.kill()
        process.wait()
    raise RuntimeError(f"the fake API did not start (exit code {process.returncode})")


@contextmanager
def running_fake_api_process(
    cases_dirs: CasesDirs = None,
    *,
    token: str = DEFAULT_TOKEN,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    rate_window: float = DEFAULT_RATE_WINDOW,
    faults: Sequence[str] = (),
    latency: float = 0.0,
    host: str = "127.0.0.1",
    port: int = 0,
    extra_args: Sequence[str] = (),
    stderr: int | IO[Any] | None = None,
) -> Iterator[str]:
    """``with running_fake_api_process() as base_url:`` the same server as a real
    separate process, terminated when the block ends."""
    process = start_fake_api_process(
        cases_dirs,
        token=token,
        rate_limit=rate_limit,
        rate_window=rate_window,
        faults=faults,
        latency=latency,
        host=host,
        port=port,
        extra_args=extra_args,
        stderr=stderr,
    )
    with process:
        yield process.base_url


class FakeApiControl:
    """The fake server's ``/__fake__`` control routes, over plain ``http.client``."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout

    def _call(self, method: str, name: str, data: Any = None) -> Any:
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=self.timeout
        )
        try:
            body = None if data is None else json.dumps(data)
            headers = {"Content-Type": "application/json"} if body else {}
            connection.request(method, f"/__fake__/{name}", body=body, headers=headers)
            response = connection.getresponse()
            payload = json.loads(response.read() or b"null")
            if response.status >= 400:
                raise ValueError(f"fake API control {method} {name}: {payload}")
            return payload
        finally:
            connection.close()

    def add_fault(self, kind: str, **fields: Any) -> list[dict[str, Any]]:
        """Queue one fault: ``add_fault("status", status=503, times=2)``."""
        return self._call("POST", "faults", {"kind": kind, **fields})["faults"]

    def add_faults(self, faults: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._call("POST", "faults", list(faults))["faults"]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")

    def reset_stats(self) -> None:
        self._call("DELETE", "stats")

    def reset(self) -> None:
        """Faults, statistics, simulated cache and rate-limit windows all cleared."""
        self._call("POST", "reset")

    def health(self) -> dict[str, Any]:
        return self._call("GET", "health")
