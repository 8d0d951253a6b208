"""Starting the processes a demo needs and making sure they answer (standard library only).

    with ServiceGroup() as group:
        group.start(Service("fake API Particulier", [python, "-m", "qf_connector.fakeapi",
                    "--port", "8201"], health_url="http://127.0.0.1:8201/__fake__/health",
                    log=Path("var/fakeapi.log")))
        ...
        group.wait()   # until Ctrl-C, or until one of them stops (then ServiceFailed)

``start`` returns once the service's health URL answers (2xx or 3xx) and its process is
still running, and raises ``ServiceFailed`` with the end of its log when it exits or does
not answer within its timeout. Each service runs in its own process group, so stopping
it also stops its children (runserver's autoreloader). The later fake PayFiP and
FranceConnect servers are started the same way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOG_TAIL_LINES = 25


class ServiceFailed(RuntimeError):
    """A service did not start, did not answer, or stopped."""


@dataclass
class Service:
    name: str
    command: Sequence[str]
    health_url: str | None = None  # None: ready when still running after `grace`
    log: Path | None = None  # None: the service writes to this terminal
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    grace: float = 1.0
    process: subprocess.Popen | None = field(default=None, init=False, repr=False)

    def log_tail(self) -> str:
        if self.log is None or not self.log.exists():
            return ""
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-LOG_TAIL_LINES:])

    def failure(self, what: str) -> ServiceFailed:
        message = f"{self.name}: {what}"
        if self.log is not None:
            message += f"\n--- last lines of {self.log} ---\n{self.log_tail()}"
        return ServiceFailed(message)


def answers(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` gives an HTTP answer below 400 (redirects followed)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own loopback URL
            return response.status < 400
    except (urllib.error.URLError, OSError, ValueError):
        return False


class ServiceGroup:
    def __init__(self) -> None:
        self.services: list[Service] = []

    def start(self, service: Service) -> Service:
        output = None
        if service.log is not None:
            service.log.parent.mkdir(parents=True, exist_ok=True)
            output = service.log.open("w", encoding="utf-8")
        try:
            service.process = subprocess.Popen(  # noqa: S603 - our own commands
                list(service.command),
                env={**os.environ, "PYTHONUNBUFFERED": "1", **service.env},
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as error:
            raise service.failure(f"cannot start ({error})") from error
        finally:
            if output is not None:
                output.close()
        self.services.append(service)
        self._await_ready(service)
        return service

    def _await_ready(self, service: Service) -> None:
        process = service.process
        deadline = time.monotonic() + service.timeout
        if service.health_url is None:
            time.sleep(service.grace)
            if process.poll() is not None:
                raise service.failure(
                    f"stopped at once (exit code {process.returncode})"
                )
            return
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise service.failure(f"stopped (exit code {process.returncode})")
            if answers(service.health_url):
                # Another program may answer on that port while ours failed to bind it.
                time.sleep(0.3)
                if process.poll() is not None:
                    raise service.failure(
                        f"stopped (exit code {process.returncode}); "
                        f"is something else answering at {service.health_url}?"
                    )
                return
            time.sleep(0.2)
        raise service.failure(
            f"does not answer at {service.health_url} after {service.timeout:.0f} s"
        )

    def wait(self, poll: float = 0.5) -> None:
        """Block until one service stops (ServiceFailed); Ctrl-C propagates."""
        while True:
            for service in self.services:
                if service.process.poll() is not None:
                    raise service.failure(
                        f"stopped (exit code {service.process.returncode})"
                    )
            time.sleep(poll)

    def stop(self, timeout: float = 10.0) -> None:
        for service in reversed(self.services):
            process = service.process
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for service in reversed(self.services):
            process = service.process
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
            # Children left in the group (runserver's reloader child) go too.
            _signal_group(process, signal.SIGKILL)
        self.services.clear()

    def __enter__(self) -> ServiceGroup:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM unwind the program (so ``ServiceGroup`` stops its services),
    even when started with SIGINT ignored (in the background of a shell script)."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass
