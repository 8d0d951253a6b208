"""What the benchmarks share: a production-like gunicorn on loopback, the demo data, a
bounded HTTP load generator, memory read from /proc and a description of the machine.

Every server started here listens on 127.0.0.1 only, and every load is bounded both in
requests and in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
LOOPBACK = "127.0.0.1"
BENCHMARK_SITE_URL = "https://www.ville-demo.example"


def exit_cleanly_on_sigterm() -> None:
    """A terminated benchmark still stops its servers (context managers unwind)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": model or platform.processor() or "unknown",
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def database_vendor(url: str) -> str:
    return "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"


@dataclass
class Deployment:
    """A production configuration in a temporary folder: settings, database, static."""

    database_url: str
    workdir: Path
    extra_env: dict = field(default_factory=dict)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(64))

    @property
    def static_root(self) -> Path:
        return self.workdir / "static"

    def env(self, **overrides) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "PORTAIL_", "DATABASE_", "REDIS_"))
        }
        env.update(
            PORTAIL_ENV="production",
            DJANGO_SETTINGS_MODULE="portail_site.settings",
            SECRET_KEY=self.secret_key,
            DEBUG="0",
            ALLOWED_HOSTS=LOOPBACK,
            # Plain HTTP on loopback: no TLS terminating proxy in front.
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=self.database_url,
            STATIC_ROOT=str(self.static_root),
            MEDIA_ROOT=str(self.workdir / "media"),
            PRIVATE_MEDIA_ROOT=str(self.workdir / "private"),
            # Production's public addresses (the site answers on loopback anyway: it is
            # the default site); it refuses to start with a local or plain HTTP one.
            WAGTAILADMIN_BASE_URL=BENCHMARK_SITE_URL,
            LOG_LEVEL="WARNING",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(self.extra_env)
        env.update(overrides)
        return env

    def manage(self, *args: str, **env) -> str:
        result = subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def prepare(self) -> None:
        """Migrate, collect the static files (compressed manifest) and load the demo."""
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        # The demo refuses production settings (known passwords): load it as the demo
        # does, into the same database.
        self.manage("load_demo", PORTAIL_ENV="development")
        self.manage("set_site_url", BENCHMARK_SITE_URL)


@contextlib.contextmanager
def temporary_folder(prefix: str):
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Gunicorn:
    """gunicorn with the project's configuration file, on a free loopback port."""

    def __init__(self, deployment: Deployment, workers: int = 2, **env):
        self.deployment = deployment
        self.workers = workers
        self.port = free_port()
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log_path = deployment.workdir / f"gunicorn-{self.port}.log"

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> Gunicorn:
        self.log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603
            [
                GUNICORN,
                "--config",
                str(ROOT / "site" / "gunicorn.conf.py"),
                "--bind",
                f"{LOOPBACK}:{self.port}",
                "--workers",
                str(self.workers),
                "portail_site.wsgi",
            ],
            cwd=ROOT,
            env=self.deployment.env(**self.env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "gunicorn stopped at start:\n" + self.log_path.read_text()
                )
            if len(self.worker_pids()) == self.workers and self._answers():
                return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/", timeout=5) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def memory(self) -> list[dict]:
        return [worker_memory(pid) for pid in self.worker_pids()]

    def cpu_seconds(self) -> float:
        """CPU time the workers have used so far (user + system)."""
        return cpu_seconds(self.worker_pids())

    def load(self, name: str, path: str, **options) -> LoadResult:
        """``load()`` against this server, with the workers' CPU time per request:
        a figure that other processes on the machine do not change much."""
        before = self.cpu_seconds()
        result = load(name, self.port, path, **options)
        used = self.cpu_seconds() - before
        if result.requests:
            result.cpu_ms_per_request = used * 1000 / result.requests
        return result

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def worker_memory(pid: int) -> dict:
    """Resident memory of a process in MiB: RSS, and PSS (shared pages divided)."""
    figures = {"pid": pid, "rss_mib": None, "pss_mib": None}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                figures["rss_mib"] = round(int(line.split()[1]) / 1024, 1)
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                figures["pss_mib"] = round(int(line.split()[1]) / 1024, 1)
    return figures


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            # After the command name: state is field 3, utime 14 and stime 15.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def fetch(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# -- load generator -------------------------------------------------------------------


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter
    errors: int
    bytes_received: int
    cpu_ms_per_request: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
        return ordered[index]

    def summary(self) -> dict:
        return {
            "requests": self.requests,
            "rps": round(self.rate, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "errors": self.errors,
            "non_200": sum(n for status, n in self.statuses.items() if status != 200),
            "mean_bytes": round(self.bytes_received / max(self.requests, 1)),
            "worker_cpu_ms_per_request": (
                None
                if self.cpu_ms_per_request is None
                else round(self.cpu_ms_per_request, 2)
            ),
        }

    def line(self) -> str:
        s = self.summary()
        return (
            f"{self.name:<34} {s['rps']:>8.1f} req/s   p50 {s['p50_ms']:>7.2f} ms"
            f"   p99 {s['p99_ms']:>7.2f} ms"
            + (
                f"   worker CPU {self.cpu_ms_per_request:5.2f} ms/req"
                if self.cpu_ms_per_request is not None
                else ""
            )
            + f"   ({s['requests']} requests"
            f"{', ' + str(s['errors']) + ' errors' if s['errors'] else ''}"
            f"{', ' + str(s['non_200']) + ' not 200' if s['non_200'] else ''})"
        )


async def _one_request(
    port: int, raw: bytes, timeout: float
) -> tuple[int | None, float, int]:
    started = time.perf_counter()
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(LOOPBACK, port), timeout
    )
    try:
        writer.write(raw)
        data = await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    elapsed = (time.perf_counter() - started) * 1000
    status = None
    if data.startswith(b"HTTP/1."):
        with contextlib.suppress(ValueError, IndexError):
            status = int(data[9:12])
    return status, elapsed, len(data)


def build_request(path: str, headers: dict | None = None) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {LOOPBACK}",
        "User-Agent: portail-benchmark",
        "Accept: text/html,*/*",
        "Connection: close",
    ]
    lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _load(
    name, port, paths, concurrency, requests, seconds, headers, warmup, timeout
) -> LoadResult:
    raws = [build_request(path, headers) for path in paths]
    for number in range(warmup):
        await _one_request(port, raws[number % len(raws)], timeout)
    latencies: list[float] = []
    statuses: Counter = Counter()
    counters = {"issued": 0, "errors": 0, "bytes": 0}
    started = time.perf_counter()
    deadline = started + seconds

    async def client() -> None:
        while counters["issued"] < requests and time.perf_counter() < deadline:
            raw = raws[counters["issued"] % len(raws)]
            counters["issued"] += 1
            try:
                status, elapsed, size = await _one_request(port, raw, timeout)
            except (OSError, TimeoutError):
                counters["errors"] += 1
                continue
            latencies.append(elapsed)
            statuses[status] += 1
            counters["bytes"] += size

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return LoadResult(
        name=name,
        requests=len(latencies),
        seconds=time.perf_counter() - started,
        latencies_ms=latencies,
        statuses=statuses,
        errors=counters["errors"],
        bytes_received=counters["bytes"],
    )


def load(
    name: str,
    port: int,
    path: str | list[str],
    *,
    concurrency: int = 8,
    requests: int = 3000,
    seconds: float = 10.0,
    headers: dict | None = None,
    warmup: int = 20,
    timeout: float = 30.0,
) -> LoadResult:
    """GET ``path`` (or each of a list of paths in turn) from ``concurrency`` clients,
    one connection per request (gunicorn's sync workers close each connection), until
    ``requests`` are done or ``seconds`` have passed, whichever comes first."""
    paths = [path] if isinstance(path, str) else list(path)
    return asyncio.run(
        _load(
            name, port, paths, concurrency, requests, seconds, headers, warmup, timeout
        )
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def postgres_cpu_seconds(database_url: str) -> float:
    """CPU time of this run's PostgreSQL cluster: its postmaster (with the backends it
    has reaped) and its live backends, found by the port in the postmaster's command
    line (other clusters may run on the machine). 0 when /proc does not tell."""
    port = database_url.rsplit(":", 1)[1].split("/", 1)[0]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if not arguments[0].endswith(b"postgres") or port.encode() not in arguments:
            continue
        return _cluster_ticks(entry) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _cluster_ticks(postmaster: Path) -> int:
    """The postmaster's own and reaped children's ticks, plus its live children's. A
    backend that exits while they are read would be counted twice or not at all (the
    figure going backwards): read again until the list of children did not change."""
    children_file = postmaster / "task" / postmaster.name / "children"
    total = 0
    for _attempt in range(5):
        try:
            children = children_file.read_text().split()
            total = 0
            for child in children:
                with contextlib.suppress(OSError):
                    fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1]
                    total += sum(int(value) for value in fields.split()[11:13])
            fields = (postmaster / "stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15])  # u, s, cu, cs
            if children_file.read_text().split() == children:
                return total
        except OSError:
            return 0
    return total


def rerun_with_postgres(script: Path, arguments: list[str]) -> dict:
    """Run ``script`` again inside the project's throwaway PostgreSQL cluster
    (``.ci/with-postgres``); return the JSON object its last line prints."""
    command = [str(ROOT / ".ci" / "with-postgres"), PYTHON, str(script), *arguments]
    process = subprocess.run(  # noqa: S603
        command, cwd=ROOT, capture_output=True, text=True, check=False
    )
    lines = [line for line in process.stdout.splitlines() if line.strip()]
    for line in lines[:-1]:
        print(line, flush=True)
    if process.returncode or not lines:
        sys.stderr.write(process.stderr)
        raise RuntimeError(f"the PostgreSQL run failed ({process.returncode})")
    return json.loads(lines[-1])
