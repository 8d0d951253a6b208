"""Billing benchmark: a régie's month for 10,000 families × 2 children × 20 days, as a
dry run and as a real run (without the PDFs), then invoice PDFs laid out in batch.

Runs as production does: PostgreSQL (the project's throwaway cluster, ``.ci/with-postgres``:
the script runs itself again inside it), background tasks queued in the database and
executed by ``manage.py db_worker`` processes (``--workers``, 2 by default: "several
db_worker processes share a large city's run"). The data: the demo commune (its canteen,
barème and family), the canteen's billing rules in a régie, then N families of two
children enrolled in the canteen, each child booked on 20 days of last month and ticked
by the animateurs as a month goes: mostly present (arrival and departure), some absences
(a few with an accepted medical certificate, a few waiting for one), some cancellations in
time and late, some days nobody ticked, some children who came without a booking
(bulk inserts, as bookings and check-ins would have left them).

- the dry run: ``tasks.start`` queues every batch, the workers compute them and store
  each family's review; timed from the agent's click to the run's last batch;
- the real run: the same for the invoices (numbers, invoices, lines, service months, in
  each batch's transaction), the PDFs not laid out (``BILLING_LAY_OUT_ON_ISSUE`` off);
  checked afterwards (one invoice per family, numbers 1..N, totals equal to the sum of
  lines);
- the PDFs: ``--pdfs`` invoices queued as ``lay_out_invoices`` tasks as the real run
  queues them (``tasks.queue_lay_out``: tasks of ``LAY_OUT_BATCH_SIZE`` invoices), laid
  out by the same workers, each in its own process, pages/s.

Each figure comes with the CPU time it took: the workers' (with the processes they
spawn), the PostgreSQL cluster's and this script's, so that a quiet machine's figure can be
estimated on a shared one.

    .venv/bin/python benchmarks/billing.py [--families 10000] [--pdfs 200] [--workers 2]

Targets (2-core machine): dry run ≤ 60 s, real run ≤ 60 s, PDFs ≥ 15 pages/s in batch.
Prints its figures, then one line of JSON.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402
    PYTHON,
    exit_cleanly_on_sigterm,
    machine,
    postgres_cpu_seconds,
    rerun_with_postgres,
)

DAYS = 20
TICKS = os.sysconf("SC_CLK_TCK")
SETTINGS = """from portail_site.test_settings import *  # noqa: F403

MEDIA_ROOT = {media!r}
PRIVATE_MEDIA_ROOT = {private!r}
BILLING_LAY_OUT_ON_ISSUE = False
"""


def setup_django(folder: Path) -> dict:
    """Django on the cluster's database, with settings every worker shares (the test
    settings, their media folders in ``folder``); returns the workers' environment."""
    (folder / "bench_settings.py").write_text(
        SETTINGS.format(media=str(folder / "media"), private=str(folder / "private")),
        encoding="utf-8",
    )
    environment = {
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
        "TASKS_BACKEND": "database",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(environment)
    sys.path.insert(0, str(folder))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return environment


def check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)


def weekdays(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    count = (last - first).days + 1
    every = (first + datetime.timedelta(days=n) for n in range(count))
    return [day for day in every if day.weekday() < 5]


def book_and_tick(enrolments, session, days, spare) -> None:
    """Each enrolment booked on ``days`` and ticked as a month goes (a fixed seed: the
    same month every run): 80 % present, 6 % absent, 2 % absent with a medical
    certificate accepted, 1 % waiting for one, 3 % cancelled in time, 1 % cancelled
    late, 3 % nobody ticked, 1 % closed (a strike), the rest present; 3 % of the
    children also came once without a booking on a ``spare`` day."""
    from django.utils import timezone

    from family_portal.attendance.models import Mark
    from family_portal.bookings.models import AbsenceReport, Booking

    draw = random.Random(18)
    now = timezone.now()
    bookings, marks, reports = [], [], []

    def at(day, hour):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))

    def tick(enrolment, day, status):
        came = status == "present"
        marks.append(
            Mark(
                enrolment_id=enrolment,
                session=session,
                date=day,
                status=status,
                status_at=at(day, 12),
                arrival=session.starts if came else None,
                departure=session.ends if came else None,
            )
        )

    for enrolment, child in enrolments:
        for day in days:
            chance = draw.random()
            status, cancelled = Booking.Status.BOOKED, None
            if chance < 0.80 or chance >= 0.97:
                tick(enrolment, day, "present")
            elif chance < 0.89:
                tick(enrolment, day, "absent")
                if chance >= 0.86:
                    reports.append(
                        AbsenceReport(
                            child_id=child,
                            first_day=day,
                            last_day=day,
                            status=AbsenceReport.Status.JUSTIFIED
                            if chance < 0.88
                            else AbsenceReport.Status.PENDING,
                        )
                    )
            elif chance < 0.93:
                status = Booking.Status.CANCELLED
                in_time = chance < 0.92
                cancelled = at(day - datetime.timedelta(days=7 if in_time else 0), 8)
            elif chance < 0.96:
                pass  # nobody ticked this day
            else:
                status = Booking.Status.CLOSED
            bookings.append(
                Booking(
                    enrolment_id=enrolment,
                    session=session,
                    date=day,
                    status=status,
                    booked_at=now,
                    cancelled_at=cancelled,
                )
            )
        if spare and draw.random() < 0.03:
            tick(enrolment, draw.choice(spare), "present")
    Booking.objects.bulk_create(bookings, batch_size=5000)
    Mark.objects.bulk_create(marks, batch_size=5000)
    AbsenceReport.objects.bulk_create(reports, batch_size=5000)


def create_data(families: int, today: datetime.date):
    """The demo, then ``families`` families × 2 children booked 20 days of last month
    and ticked by the animateurs."""
    from django.core.management import call_command

    from family_portal.billing.compute import month_bounds, previous_month
    from family_portal.billing.models import Regie
    from family_portal.models import Child, Enrolment, Family

    call_command("load_demo", verbosity=0)
    # The demo invoiced its family's last month and took payments, direct debits and
    # reminders for it: start that month again from scratch (what refers to an invoice
    # first, as invoices are protected).
    from family_portal.billing import models as billing
    from family_portal.directdebit import models as directdebit
    from family_portal.payments import models as payments
    from family_portal.reminders.models import Reminder

    payments.Allocation.objects.filter(reverses__isnull=False).delete()
    for model in (
        directdebit.DebitReturn,
        directdebit.DebitLine,
        payments.Allocation,
        payments.Payment,
        payments.PaymentOperation,
        Reminder,
        billing.InvoiceLine,
        billing.ServiceMonth,
        billing.RunFamily,
        billing.Invoice,
        billing.BillingRun,
        billing.NumberSequence,
    ):
        model.objects.all().delete()
    regie = Regie.objects.get(code="ENF")
    template = Enrolment.objects.filter(
        family__name="Famille Giraud", period__activity__slug="restauration-scolaire"
    ).first()
    check(template is not None, "the demo has no canteen enrolment to copy")
    session = template.period.schedule.sessions.first()
    month = previous_month(today)
    first, last = month_bounds(month)
    days = weekdays(first, last)[:DAYS]
    check(len(days) == DAYS, f"only {len(days)} weekdays in {month}")
    Family.objects.bulk_create(
        Family(
            name=f"Famille Bench {index:05d}",
            street="1 rue des Écoles",
            postcode="45999",
            city="Ville-de-Démo",
        )
        for index in range(families)
    )
    family_ids = list(
        Family.objects.filter(name__startswith="Famille Bench").values_list(
            "pk", flat=True
        )
    )
    Child.objects.bulk_create(
        Child(
            family_id=pk,
            first_name=name,
            last_name="Bench",
            birth_date=datetime.date(2017, 5, 1),
        )
        for pk in family_ids
        for name in ("Alix", "Noé")
    )
    snapshot = {
        name: getattr(template, name)
        for name in (
            "status",
            "qf_source",
            "residence",
            "bareme_version_id",
            "amount",
            "unit",
            "deliberation_reference",
            "deliberation_date",
            "qf_value",
            "qf_month",
            "qf_provider",
            "column",
            "bracket",
            "explanation",
        )
    }
    children = Child.objects.filter(family_id__in=family_ids).values_list(
        "pk", "family_id"
    )
    Enrolment.objects.bulk_create(
        (
            Enrolment(
                family_id=family, child_id=child, period=template.period, **snapshot
            )
            for child, family in children
        ),
        batch_size=2000,
    )
    enrolments = list(
        Enrolment.objects.filter(family_id__in=family_ids).values_list("pk", "child_id")
    )
    spare = [d for d in weekdays(first, last) if d not in days]
    book_and_tick(enrolments, session, days, spare)
    return regie, month


class Workers:
    """``count`` ``manage.py db_worker`` processes, started as production runs them
    (database task backend, the same settings and database), stopped on exit."""

    def __init__(self, count: int, environment: dict, log: Path):
        self.count, self.environment, self.log = count, environment, log
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Workers:
        env = {**os.environ, **self.environment}
        with self.log.open("ab") as log:
            for index in range(self.count):
                self.processes.append(
                    subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
                        [
                            PYTHON,
                            str(ROOT / "manage.py"),
                            "db_worker",
                            "--interval=0.1",
                            "--no-startup-delay",
                            "--no-reload",
                            f"--worker-id=bench-{index}",
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                )
        return self

    def check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(
                    f"a db_worker stopped ({process.returncode}):\n{tail}"
                )

    def ready(self, task) -> None:
        """Wait until the workers have started (Django loaded, polling the queue): a
        few tasks that do nothing (no invoices to lay out), run to the end."""
        results = [task.enqueue([]) for _ in range(2 * self.count)]
        deadline = time.monotonic() + 120
        for result in results:
            while True:
                self.check_alive()
                result.refresh()
                if result.is_finished:
                    break
                check(time.monotonic() < deadline, "the workers did not start")
                time.sleep(0.1)
        time.sleep(1)

    def cpu_seconds(self) -> float:
        """User + system time of the workers and of the children they have reaped
        (the processes laying out PDFs)."""
        total = 0
        for process in self.processes:
            try:
                fields = Path(f"/proc/{process.pid}/stat").read_text()
            except OSError:
                continue
            total += sum(int(v) for v in fields.rsplit(")", 1)[1].split()[11:15])
        return total / TICKS

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def own_cpu_seconds() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


class Phase:
    """Wall clock, load average and CPU time (workers, PostgreSQL, this script) of one
    measured phase."""

    def __init__(self, workers: Workers):
        self.workers = workers
        self.database_url = os.environ["DATABASE_URL"]

    def _cpu(self) -> tuple[float, float, float]:
        return (
            self.workers.cpu_seconds(),
            postgres_cpu_seconds(self.database_url),
            own_cpu_seconds(),
        )

    def __enter__(self) -> Phase:
        self.load_before = os.getloadavg()[0]
        self.cpu_before = self._cpu()
        self.started = time.perf_counter()
        return self

    def wait(self, finished, timeout: float = 3600) -> None:
        """Poll ``finished()`` (one query, four times a second) until it is true."""
        deadline = time.monotonic() + timeout
        while not finished():
            self.workers.check_alive()
            check(time.monotonic() < deadline, "the phase did not finish in time")
            time.sleep(0.25)

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started
        used = [
            after - before
            for after, before in zip(self._cpu(), self.cpu_before, strict=True)
        ]
        self.workers_cpu, self.postgres_cpu, self.script_cpu = used
        # The work itself: the workers and the database (this script only polls).
        self.cpu = self.workers_cpu + self.postgres_cpu
        self.load = max(self.load_before, os.getloadavg()[0])

    def figures(self, name: str) -> dict:
        return {
            f"{name}_s": round(self.seconds, 1),
            f"{name}_cpu_s": round(self.cpu, 1),
            f"{name}_workers_cpu_s": round(self.workers_cpu, 1),
            f"{name}_postgres_cpu_s": round(self.postgres_cpu, 1),
            f"{name}_script_cpu_s": round(self.script_cpu, 1),
            # What two cores to itself would need at best (CPU shared perfectly).
            f"{name}_quiet_estimate_s": round(self.cpu / 2, 1),
            f"{name}_load_average": round(self.load, 1),
        }

    def text(self) -> str:
        return (
            f"{self.seconds:.1f} s (CPU {self.cpu:.1f} s: workers "
            f"{self.workers_cpu:.1f} + PostgreSQL {self.postgres_cpu:.1f}, so "
            f"≥ {self.cpu / 2:.1f} s on two free cores; this script "
            f"{self.script_cpu:.1f}; load average {self.load:.1f})"
        )


def run_done(run) -> bool:
    from family_portal.billing.models import BillingRun

    run.refresh_from_db(fields=["status", "error"])
    check(run.status != BillingRun.Status.FAILED, f"run failed: {run.error}")
    return run.status == BillingRun.Status.DONE


def run(args) -> dict:

    with tempfile.TemporaryDirectory(prefix="bench-billing-") as name:
        folder = Path(name)
        started = time.perf_counter()
        environment = setup_django(folder)
        from django.db import connection
        from django.db.models import Sum
        from django.utils import timezone

        from family_portal.billing import tasks
        from family_portal.billing.models import Invoice, InvoiceLine, RunFamily

        today = timezone.localdate()
        regie, month = create_data(args.families, today)
        bookings = args.families * 2 * DAYS
        print(
            f"setup: {args.families} families, {bookings} bookings ticked in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        with Workers(args.workers, environment, folder / "workers.log") as workers:
            workers.ready(tasks.lay_out_invoices)
            with Phase(workers) as dry:
                dry_run = tasks.start(regie, month, dry_run=True, today=today)
                dry.wait(lambda: run_done(dry_run))
            reviewed = RunFamily.objects.filter(run=dry_run).count()
            check(reviewed >= args.families, f"{reviewed} families reviewed")
            print(f"dry run: {reviewed} families in {dry.text()}", flush=True)

            with Phase(workers) as real:
                real_run = tasks.start(regie, month, dry_run=False, today=today)
                real.wait(lambda: run_done(real_run))
            invoices = Invoice.objects.filter(run=real_run)
            count = invoices.count()
            lines = InvoiceLine.objects.filter(invoice__run=real_run).count()
            check(count >= args.families * 0.99, f"{count} invoices")
            check(lines >= bookings * 0.95, f"{lines} lines for {bookings} bookings")
            numbers = sorted(
                int(n.rsplit("-", 1)[1])
                for n in invoices.values_list("number", flat=True)
            )
            check(numbers == list(range(1, count + 1)), "numbers with a gap")
            total = invoices.aggregate(s=Sum("total"))["s"]
            line_total = InvoiceLine.objects.filter(invoice__run=real_run).aggregate(
                s=Sum("amount")
            )["s"]
            check(total == line_total, f"totals {total} ≠ lines {line_total}")
            print(
                f"real run: {count} invoices, {lines} lines in {real.text()}",
                flush=True,
            )

            chosen = list(
                invoices.order_by("pk").values_list("pk", flat=True)[: args.pdfs]
            )
            warm, chosen = chosen[:2], chosen[2:]
            # One small task first: the workers load templates and WeasyPrint once, as
            # long-running workers have.
            tasks.lay_out_invoices.enqueue(warm)
            with Phase(workers) as warm_up:
                warm_up.wait(
                    lambda: not Invoice.objects.filter(pk__in=warm, pdf="").exists()
                )
            with Phase(workers) as pdfs:
                tasks.queue_lay_out(chosen)
                pdfs.wait(
                    lambda: not Invoice.objects.filter(pk__in=chosen, pdf="").exists()
                )
        import pikepdf

        pages = 0
        for invoice in Invoice.objects.filter(pk__in=chosen):
            with invoice.pdf.open("rb") as stored:
                pdf = pikepdf.open(io.BytesIO(stored.read()))
                check("/StructTreeRoot" in pdf.Root, "an untagged invoice PDF")
                pages += len(pdf.pages)
        pages_per_second = pages / pdfs.seconds
        print(
            f"PDFs: {len(chosen)} invoices, {pages} pages = {pages_per_second:.1f} "
            f"pages/s in {pdfs.text()}; {2 * pages / pdfs.cpu:.1f} "
            "pages/s at most on two free cores",
            flush=True,
        )
        connection.close()

    targets = {"dry_run_s": 60, "real_run_s": 60, "pdf_pages_per_s": 15}
    return {
        "database": "postgresql",
        "families": args.families,
        "workers": args.workers,
        "children": args.families * 2,
        "bookings": bookings,
        **dry.figures("dry_run"),
        **real.figures("real_run"),
        "invoices": count,
        "lines": lines,
        "pdf_invoices": len(chosen),
        "pdf_pages": pages,
        "pdf_pages_per_s": round(pages_per_second, 1),
        **pdfs.figures("pdf"),
        "pdf_pages_per_s_quiet_estimate": round(2 * pages / pdfs.cpu, 1),
        "machine": machine(),
        "targets": targets,
        "met": dry.seconds <= 60 and real.seconds <= 60 and pages_per_second >= 15,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--pdfs", type=int, default=200, help="invoices laid out")
    parser.add_argument(
        "--workers", type=int, default=2, help="db_worker processes sharing the run"
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    exit_cleanly_on_sigterm()
    args.pdfs = max(args.pdfs, 3)
    if args.inner:  # the caller reads the figures: they say whether targets are met
        print(json.dumps(run(args)))
        return 0
    result = rerun_with_postgres(
        Path(__file__),
        [
            f"--families={args.families}",
            f"--pdfs={args.pdfs}",
            f"--workers={args.workers}",
            "--inner",
        ],
    )
    print(json.dumps(result))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
