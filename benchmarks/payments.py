"""A burst of 1,000 PayFiP notifications for 1,000 distinct operations, against gunicorn
and PostgreSQL, while anonymous pages are loaded.

    .venv/bin/python benchmarks/payments.py [--notifications 1000] [--rounds 3]
        [--senders 100] [--latency 0.05] [--seconds 8] [--db-workers 2]

Runs inside the project's throwaway PostgreSQL cluster (.ci/with-postgres): a
production-like deployment (migrate, collectstatic, load_demo), our fake PayFiP as its
own process answering each SOAP call after ``--latency`` seconds (50 ms), gunicorn with
the project's configuration (2 workers, ``site/gunicorn.conf.py``) and ``--db-workers``
``manage.py db_worker`` processes (production runs them for the background tasks).

Set-up, once: ``--rounds`` × ``--notifications`` invoices, and as many operations created
through the portal's own service (``creerPaiementSecurise`` at the fake PayFiP), each paid
by card on the fake payment page with its notifications held back.

Each round:

1. anonymous pages (home page and an activity page, page cache warm) loaded for
   ``--seconds`` by ``--concurrency`` clients, one connection per request;
2. the round's notifications POSTed to the notification endpoint (``idOp`` only, as
   PayFiP does) by ``--senders`` concurrent connections, while the same pages are
   loaded; the window closes when the database holds a payment for every operation of
   the round (or after ``--deadline`` seconds);
3. the pages again for ``--seconds``.

Figures: the burst's duration until every payment is recorded; the notifications'
answers (status, latency); the pages' throughput during the burst over the mean of the
two windows around it (median of the rounds). At the end, the database is checked: one
payment per operation, each invoice paid once and exactly its amount, no other payment.
Targets (issue 19): recorded within 60 s, no error, no duplicate, pages ≥ 80 %. Prints
the figures, then ONE line of JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg
from harness import (
    LOOPBACK,
    PYTHON,
    ROOT,
    Deployment,
    Gunicorn,
    _one_request,
    build_request,
    cpu_seconds,
    exit_cleanly_on_sigterm,
    machine,
    median,
    postgres_cpu_seconds,
    rerun_with_postgres,
    temporary_folder,
)

from family_portal.payments.fakepayfip.testing import FakePayFiPControl

PAGES = ["/", "/activites/restauration-scolaire/"]
NOTIFICATION_PATH = "/espace-famille/paiements/notification/"
TARGET_SECONDS = 60.0
TARGET_SHARE = 0.8

# Run by `manage.py shell` in the deployment: COUNT invoices of 42,50 € for 100
# families of the demo's first régie (opened to PayFiP by the demo), and an online
# payment started for each through the portal's service, as "Payer en ligne" does.
SETUP = """
import datetime, json
from decimal import Decimal
from django.contrib.auth import get_user_model
from family_portal.billing.models import Invoice, Regie
from family_portal.models import Family
from family_portal.payments.services import start_online_payment

regie = Regie.objects.exclude(payfip_client_number="").order_by("pk").first()
families = [
    Family.objects.create(name=f"Famille Paiement {n}", city="Ville de Démo")
    for n in range(100)
]
invoices = Invoice.objects.bulk_create(
    Invoice(
        regie=regie, family=families[n % len(families)], number=f"BANC-{n:06d}",
        issue_date=datetime.date(2026, 11, 3), due_date=datetime.date(2026, 11, 30),
        total=Decimal("42.50"),
    )
    for n in range(COUNT)
)
user = get_user_model().objects.filter(is_superuser=False).order_by("pk").first()
operations = [
    start_online_payment(
        invoice, user=user, email="parent.banc@example.org",
        notify_url="http://127.0.0.1/espace-famille/paiements/notification/",
        return_url="http://127.0.0.1/espace-famille/paiements/retour/",
    )
    for invoice in invoices
]
print(json.dumps([o.idop for o in operations]))
"""


def last_json_line(output: str):
    return json.loads(output.strip().splitlines()[-1])


@contextlib.contextmanager
def fake_payfip(latency: float):
    process = subprocess.Popen(  # noqa: S603
        [
            PYTHON,
            "-m",
            "family_portal.payments.fakepayfip",
            "--port",
            "0",
            "--quiet",
            "--latency",
            str(latency),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"the fake PayFiP did not start: {line!r}")
        yield line.split()[1], process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def db_workers(deployment: Deployment, count: int, nice: int, threads: int):
    """``count`` db_workers as deploy/systemd/portail-worker@.service runs them (its
    ``Nice=``), checking notifications with ``threads`` threads."""
    processes = [
        subprocess.Popen(  # noqa: S603
            [PYTHON, "manage.py", "db_worker", "--no-reload"],
            cwd=ROOT,
            env=deployment.env(PAYFIP_CHECK_THREADS=str(threads)),
            preexec_fn=lambda: os.nice(nice),  # noqa: PLW1509 - before exec, no threads
            stdout=subprocess.DEVNULL,
            stderr=open(deployment.workdir / f"db_worker-{n}.log", "w"),  # noqa: SIM115
        )
        for n in range(count)
    ]
    try:
        settle([process.pid for process in processes])
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def settle(pids: list[int], timeout: float = 60.0) -> None:
    """Wait until the processes have started (Django imported, the queue polled): a
    second in which they use less than 5 % of a core, so that their start-up is not
    counted in the first round's pages alone."""
    deadline = time.monotonic() + timeout
    used = cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_seconds(pids)
        if now - used < 0.05:
            return
        used = now


def pay_all(control: FakePayFiPControl, idops: list[str]) -> None:
    """The payers click "card accepted"; the fake keeps their notifications."""
    control.faults(hold_notifications=True, latency=0)
    for idop in idops:
        control.choose(idop, "P")


class Recorded:
    """How many of the round's operations have their payment: one connection for the
    whole round and an index lookup per operation, so that watching costs the pages
    little (a connection a poll would fork a PostgreSQL backend ten times a second)."""

    def __init__(self, database_url: str, idops: list[str]):
        self.connection = psycopg.connect(database_url, autocommit=True)
        self.ids = [
            row[0]
            for row in self.connection.execute(
                "SELECT id FROM payments_paymentoperation WHERE idop = ANY(%s)", [idops]
            )
        ]

    def count(self) -> int:
        return self.connection.execute(
            "SELECT count(*) FROM payments_payment WHERE operation_id = ANY(%s)",
            [self.ids],
        ).fetchone()[0]

    def close(self) -> None:
        self.connection.close()


def notification(idop: str) -> bytes:
    body = urllib.parse.urlencode({"idOp": idop}).encode()
    head = (
        f"POST {NOTIFICATION_PATH} HTTP/1.1\r\nHost: {LOOPBACK}\r\n"
        "User-Agent: PayFiP-benchmark\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class Window:
    """Anonymous pages loaded by ``concurrency`` clients until ``stop`` is set."""

    def __init__(self, port: int, concurrency: int):
        self.port = port
        self.concurrency = concurrency
        self.raws = [build_request(path) for path in PAGES]
        self.done = 0
        self.failed = 0
        self.latencies: list[float] = []

    async def run(self, stop: asyncio.Event) -> float:
        started = time.perf_counter()

        async def client(number: int) -> None:
            while not stop.is_set():
                raw = self.raws[(self.done + number) % len(self.raws)]
                try:
                    status, elapsed, _size = await _one_request(self.port, raw, 30)
                except (OSError, TimeoutError):
                    self.failed += 1
                    continue
                if stop.is_set():
                    return  # finished after the window closed: not counted
                if status == 200:
                    self.done += 1
                    self.latencies.append(elapsed)
                else:
                    self.failed += 1

        await asyncio.gather(*(client(n) for n in range(self.concurrency)))
        self.seconds = time.perf_counter() - started
        return self.done / self.seconds

    def summary(self) -> dict:
        ordered = sorted(self.latencies) or [float("nan")]
        return {
            "requests": self.done,
            "seconds": round(self.seconds, 2),
            "rps": round(self.done / self.seconds, 1),
            "p50_ms": round(ordered[len(ordered) // 2], 2),
            "p99_ms": round(
                ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2
            ),
            "failed": self.failed,
        }


async def timed_window(port, concurrency, seconds) -> Window:
    window = Window(port, concurrency)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    await window.run(stop)
    return window


async def burst(port, idops, senders, database_url, deadline, concurrency):
    """The notifications, and the pages until every payment is recorded."""
    window = Window(port, concurrency)
    stop = asyncio.Event()
    answers: list[tuple[int | None, float]] = []
    queue = list(reversed(idops))
    watched = Recorded(database_url, idops)
    started = time.perf_counter()
    times = {}

    async def sender() -> None:
        while queue:
            raw = notification(queue.pop())
            try:
                status, elapsed, _size = await _one_request(port, raw, 60)
            except (OSError, TimeoutError):
                status, elapsed = None, float("nan")
            answers.append((status, elapsed))

    async def sent_all() -> None:
        await asyncio.gather(*(sender() for _ in range(senders)))
        times["answered"] = time.perf_counter() - started

    async def watch() -> None:
        loop = asyncio.get_running_loop()
        count = 0
        while time.perf_counter() - started < deadline:
            count = await loop.run_in_executor(None, watched.count)
            if count >= len(idops):
                break
            await asyncio.sleep(0.2)
        times["recorded"] = time.perf_counter() - started
        times["count"] = count
        stop.set()

    try:
        await asyncio.gather(sent_all(), watch(), window.run(stop))
    finally:
        watched.close()
    return window, answers, times


class Usage:
    """CPU time used so far by each part of the run: the web workers, the db_workers,
    PostgreSQL, the fake PayFiP and this benchmark's own load generator (all share
    the machine's cores). A window's figures are in cores (CPU seconds a second)."""

    def __init__(self, server, workers, payfip_pid, database_url):
        self.parts = {
            "gunicorn": server.cpu_seconds,
            "db_workers": lambda: cpu_seconds([process.pid for process in workers]),
            "postgresql": lambda: postgres_cpu_seconds(database_url),
            "fake_payfip": lambda: cpu_seconds([payfip_pid]),
            "load_generator": lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        }

    def now(self) -> dict[str, float]:
        return {name: read() for name, read in self.parts.items()}

    @staticmethod
    def cores(before: dict, after: dict, seconds: float) -> dict[str, float]:
        return {
            name: round((after[name] - before[name]) / seconds, 2) for name in before
        }


def one_round(number, server, workers, payfip_pid, idops, args, database_url) -> dict:
    port = server.port
    usage = Usage(server, workers, payfip_pid, database_url)
    start = usage.now()
    before = asyncio.run(timed_window(port, args.concurrency, args.seconds))
    burst_start = usage.now()
    during, answers, times = asyncio.run(
        burst(port, idops, args.senders, database_url, args.deadline, args.concurrency)
    )
    burst_end = usage.now()
    after = asyncio.run(timed_window(port, args.concurrency, args.seconds))
    end = usage.now()
    cores = {
        "alone": Usage.cores(start, burst_start, before.seconds),
        "burst": Usage.cores(burst_start, burst_end, during.seconds),
        "alone_again": Usage.cores(burst_end, end, after.seconds),
    }
    burst_cpu = burst_end["gunicorn"] - burst_start["gunicorn"]
    tasks_cpu = burst_end["db_workers"] - burst_start["db_workers"]
    payfip_cpu = burst_end["fake_payfip"] - burst_start["fake_payfip"]
    alone = (before.summary()["rps"] + after.summary()["rps"]) / 2
    share = during.summary()["rps"] / alone if alone else 0.0
    latencies = sorted(ms for status, ms in answers if status is not None)
    statuses: dict[str, int] = {}
    for status, _ms in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    result = {
        "pages_alone": before.summary(),
        "pages_during_burst": during.summary(),
        "pages_alone_again": after.summary(),
        "alone_rps": round(alone, 1),
        "share": round(share, 3),
        "notifications_sent": len(answers),
        "notification_statuses": statuses,
        "notification_p50_ms": round(latencies[len(latencies) // 2], 1),
        "notification_max_ms": round(latencies[-1], 1),
        "all_answered_s": round(times["answered"], 2),
        "all_recorded_s": round(times["recorded"], 2),
        "recorded": times["count"],
        "gunicorn_cpu_s_during_burst": round(burst_cpu, 2),
        "db_workers_cpu_ms_per_notification": round(tasks_cpu * 1000 / len(idops), 2),
        # PayFiP's side, which a real deployment does not run (for the record).
        "fake_payfip_cpu_ms_per_notification": round(payfip_cpu * 1000 / len(idops), 2),
        # Where the cores went, before, during and after the burst.
        "cores": cores,
    }
    print(
        f"round {number}: {len(idops)} notifications answered in "
        f"{result['all_answered_s']} s ({statuses}; p50 "
        f"{result['notification_p50_ms']} ms, max {result['notification_max_ms']} ms),"
        f" {result['recorded']} recorded after {result['all_recorded_s']} s; pages "
        f"{result['pages_alone']['rps']} → {result['pages_during_burst']['rps']} → "
        f"{result['pages_alone_again']['rps']} req/s: share kept {share:.0%}; "
        f"db_workers' CPU {result['db_workers_cpu_ms_per_notification']} ms a "
        "notification",
        flush=True,
    )
    for name, parts in cores.items():
        print(f"  cores {name}: " + ", ".join(f"{k} {v}" for k, v in parts.items()))
    return result


CHECK = """
import json
from django.db.models import Count, Q, Sum
from family_portal.billing.models import Invoice
from django_tasks_db.models import DBTaskResult
from family_portal.payments.models import Allocation, Payment, PaymentOperation
invoices = Invoice.objects.filter(number__startswith="BANC-")
rows = Allocation.objects.filter(invoice__in=invoices)
per_invoice = rows.values("invoice").annotate(n=Count("payment", distinct=True))
payments = Payment.objects.filter(operation__invoice__in=invoices)
print(json.dumps({
    "invoices": invoices.count(),
    "payments": payments.count(),
    "operations_paid": PaymentOperation.objects.filter(
        invoice__in=invoices, status="paid").count(),
    "operations_waiting": PaymentOperation.objects.filter(
        invoice__in=invoices, status="waiting").count(),
    "invoices_paid_twice": sum(1 for row in per_invoice if row["n"] > 1),
    "invoices_paid_exactly": invoices.filter(paid_amount=42.50).count(),
    # Money the burst put anywhere but its own invoices (credit, another invoice).
    "check_tasks": DBTaskResult.objects.filter(
        task_path__startswith="family_portal.payments.").count(),
    "payments_elsewhere": Allocation.objects.filter(payment__in=payments).filter(
        Q(invoice__isnull=True) | ~Q(invoice__in=invoices)).count(),
}))
"""


def run(args) -> dict:
    database_url = os.environ["DATABASE_URL"]
    load_start = os.getloadavg()
    total = args.notifications * args.rounds
    with (
        temporary_folder("portail-bench-payments-") as workdir,
        fake_payfip(args.latency) as (payfip_url, payfip_pid),
    ):
        control = FakePayFiPControl(payfip_url)
        deployment = Deployment(
            database_url=database_url,
            workdir=workdir,
            extra_env={
                "PAYFIP_WSDL_URL": payfip_url + "/tpa/services/securite?wsdl",
                "PAYFIP_PAYMENT_URL": payfip_url + "/tpa/paiementws.web",
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            },
        )
        started = time.monotonic()
        deployment.prepare()
        control.faults(latency=0)
        idops = last_json_line(
            deployment.manage("shell", "-c", SETUP.replace("COUNT", str(total)))
        )
        pay_all(control, idops)
        control.faults(latency=args.latency)
        print(
            f"deployment, {total} operations created and paid at the fake PayFiP in "
            f"{time.monotonic() - started:.0f} s; load average {load_start[0]:.2f}",
            flush=True,
        )
        with (
            Gunicorn(deployment, workers=args.workers) as server,
            db_workers(
                deployment, args.db_workers, args.db_worker_nice, args.check_threads
            ) as workers,
        ):
            asyncio.run(timed_window(server.port, args.concurrency, 2))  # warm-up
            rounds = [
                one_round(
                    number,
                    server,
                    workers,
                    payfip_pid,
                    idops[(number - 1) * args.notifications :][: args.notifications],
                    args,
                    database_url,
                )
                for number in range(1, args.rounds + 1)
            ]
            memory = server.memory()
        check = last_json_line(deployment.manage("shell", "-c", CHECK))
    load_end = os.getloadavg()
    return summarise(args, rounds, check, memory, load_start, load_end)


def summarise(args, rounds, check, memory, load_start, load_end) -> dict:
    total = args.notifications * args.rounds
    share = median([r["share"] for r in rounds])
    recorded_s = median([r["all_recorded_s"] for r in rounds])
    errors = sum(
        n for r in rounds for s, n in r["notification_statuses"].items() if s != "200"
    )
    exact = (
        check["payments"] == total
        and check["operations_paid"] == total
        and check["invoices_paid_twice"] == 0
        and check["invoices_paid_exactly"] == total
        and check["payments_elsewhere"] == 0
    )
    worst_s = max(r["all_recorded_s"] for r in rounds)
    all_recorded = all(r["recorded"] == args.notifications for r in rounds)
    print(
        f"database: {check['payments']} payments for {check['invoices']} invoices "
        f"({check['invoices_paid_twice']} paid twice, {check['invoices_paid_exactly']} "
        f"paid exactly, {check['operations_waiting']} operations still waiting)"
    )
    print(
        f"recorded in {recorded_s} s (median; worst {worst_s} s; target "
        f"{TARGET_SECONDS:.0f} s); pages kept {share:.0%} of their throughput (median "
        f"of {len(rounds)}; target {TARGET_SHARE:.0%}); notification errors {errors}; "
        f"load average {load_start[0]:.2f} at start, {load_end[0]:.2f} at the end",
        flush=True,
    )
    return {
        "benchmark": "payments",
        "database": "postgresql",
        "machine": machine(),
        "load_average_start": [round(v, 2) for v in load_start],
        "load_average_end": [round(v, 2) for v in load_end],
        "workers": args.workers,
        "db_workers": args.db_workers,
        "db_worker_nice": args.db_worker_nice,
        "check_threads": args.check_threads,
        "notifications_per_round": args.notifications,
        "rounds": rounds,
        "senders": args.senders,
        "payfip_latency_s": args.latency,
        "page_concurrency": args.concurrency,
        "pages": PAGES,
        "recorded_s_median": recorded_s,
        "recorded_s_worst": worst_s,
        "share_kept_median": share,
        "alone_rps_median": median([r["alone_rps"] for r in rounds]),
        "burst_rps_median": median([r["pages_during_burst"]["rps"] for r in rounds]),
        "notification_errors": errors,
        "database_check": check,
        "worker_memory": memory,
        "target_seconds": TARGET_SECONDS,
        "target_share": TARGET_SHARE,
        "meets_target": (
            all_recorded
            and worst_s <= TARGET_SECONDS
            and errors == 0
            and exact
            and share >= TARGET_SHARE
        ),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--senders", type=int, default=100, help="concurrent notification connections"
    )
    parser.add_argument(
        "--latency", type=float, default=0.05, help="fake PayFiP's answer, seconds"
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="pages alone")
    parser.add_argument("--concurrency", type=int, default=4, help="page clients")
    parser.add_argument("--deadline", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db-workers", type=int, default=2)
    parser.add_argument(
        "--db-worker-nice",
        type=int,
        default=10,
        help="the db_workers' niceness (deploy/systemd/portail-worker@.service)",
    )
    parser.add_argument(
        "--check-threads",
        type=int,
        default=1,
        help="PAYFIP_CHECK_THREADS: PayFiP questions a check task asks at once",
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    exit_cleanly_on_sigterm()
    if args.inner:
        print(json.dumps(run(args)))
        return 0
    options = [
        f"--notifications={args.notifications}",
        f"--rounds={args.rounds}",
        f"--senders={args.senders}",
        f"--latency={args.latency}",
        f"--seconds={args.seconds}",
        f"--concurrency={args.concurrency}",
        f"--deadline={args.deadline}",
        f"--workers={args.workers}",
        f"--db-workers={args.db_workers}",
        f"--db-worker-nice={args.db_worker_nice}",
        f"--check-threads={args.check_threads}",
        "--inner",
    ]
    summary = rerun_with_postgres(Path(__file__), options)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
