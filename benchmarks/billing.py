"""Billing benchmark: a régie's month for 10,000 families × 2 children × 20 days, as a
dry run and as a real run (without the PDFs), then invoice PDFs laid out in batch.

Creates its own data in a throwaway SQLite database under a temporary folder, with the
test settings: the demo commune (its canteen, barème and demo family), the canteen's
billing rules in a régie, then N families of two children enrolled in the canteen, each
child booked on 20 days of last month (bulk inserts, as bookings would have left them).
Measures, in one process, the way a db_worker runs each batch:

- the dry run: every batch computed and its per-family review stored;
- the real run: every batch issued (numbers, invoices, lines, service months) in its
  transaction; checked afterwards (one invoice per family, numbers 1..N, totals equal
  to the sum of lines);
- a batch of invoice PDFs laid out (WeasyPrint, PDF/UA, worker processes as the
  certificates), pages/s.

    .venv/bin/python benchmarks/billing.py [--families 10000] [--pdfs 200] [--workers 1]

``--workers 2`` runs the batches in two processes, as two db_worker processes would.

Targets (2-core machine): dry run ≤ 60 s, real run ≤ 60 s, PDFs ≥ 15 pages/s in batch.
Prints its figures, then one line of JSON.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAYS = 20


def setup_django(folder: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portail_site.test_settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(folder / "media")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)


def create_data(families: int, today: datetime.date):
    """The demo, then ``families`` families × 2 children booked 20 days of last month."""
    from django.core.management import call_command
    from django.utils import timezone

    from family_portal.billing.compute import month_bounds, previous_month
    from family_portal.billing.models import Regie
    from family_portal.bookings.models import Booking
    from family_portal.models import Child, Enrolment, Family

    call_command("load_demo", verbosity=0)
    # The demo invoiced its family's last month: start that month again from scratch.
    from family_portal.billing import models as billing

    for model in (
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
    days = []
    day = first
    while day <= last and len(days) < DAYS:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
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
    now = timezone.now()
    enrolments = Enrolment.objects.filter(family_id__in=family_ids).values_list(
        "pk", flat=True
    )
    Booking.objects.bulk_create(
        (
            Booking(
                enrolment_id=pk,
                session=session,
                date=day,
                status="booked",
                booked_at=now,
            )
            for pk in enrolments
            for day in days
        ),
        batch_size=5000,
    )
    return regie, month


def _worker(environment: dict, batches: list[int]) -> int:
    """A db_worker's share of a run, in its own process (spawned: a fresh Django)."""
    os.environ.update(environment)
    import django

    django.setup()
    from family_portal.billing import runs

    for pk in batches:
        runs.process_batch(pk)
    return len(batches)


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children: the service
    time whatever else the shared machine runs meanwhile."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_all(run, workers: int = 1) -> float:
    """Every batch of the run, by one process or ``workers`` processes taking turns,
    as that many db_worker processes share a run; wall-clock seconds."""
    from family_portal.billing import runs

    started = time.perf_counter()
    pending = runs.pending_batches(run)
    if workers < 2:
        for pk in pending:
            runs.process_batch(pk)
        return time.perf_counter() - started
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    environment = {
        key: os.environ[key]
        for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "MEDIA_ROOT", "LOG_LEVEL")
    }
    shares = [pending[index::workers] for index in range(workers)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        done = sum(pool.map(_worker, [environment] * workers, shares))
    check(done == len(pending), f"{done} batches of {len(pending)}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--pdfs", type=int, default=200, help="invoices laid out")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes sharing the run's batches"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-billing-") as folder:
        started = time.perf_counter()
        setup_django(Path(folder))
        from django.db import connection
        from django.db.models import Sum
        from django.utils import timezone

        from family_portal.billing import documents, runs
        from family_portal.billing.models import (
            BillingRun,
            Invoice,
            InvoiceLine,
            RunFamily,
        )

        today = timezone.localdate()
        regie, month = create_data(args.families, today)
        bookings = args.families * 2 * DAYS
        print(
            f"setup: {args.families} families, {bookings} bookings in "
            f"{time.perf_counter() - started:.1f} s"
        )

        cpu = cpu_seconds()
        start = time.perf_counter()
        dry = runs.start_run(regie, month, dry_run=True, today=today)
        dry_seconds = run_all(dry, args.workers) + (time.perf_counter() - start)
        dry_cpu = cpu_seconds() - cpu
        dry.refresh_from_db()
        check(dry.status == BillingRun.Status.DONE, f"dry run {dry.status}")
        reviewed = RunFamily.objects.filter(run=dry).count()
        check(reviewed >= args.families, f"{reviewed} families reviewed")
        print(
            f"dry run: {reviewed} families in {dry_seconds:.1f} s (CPU {dry_cpu:.1f} s)"
        )

        cpu = cpu_seconds()
        start = time.perf_counter()
        real = runs.start_run(regie, month, dry_run=False, today=today)
        real_seconds = run_all(real, args.workers) + (time.perf_counter() - start)
        real_cpu = cpu_seconds() - cpu
        real.refresh_from_db()
        check(real.status == BillingRun.Status.DONE, f"real run {real.status}")
        invoices = Invoice.objects.filter(run=real).count()
        lines = InvoiceLine.objects.filter(invoice__run=real).count()
        check(invoices >= args.families, f"{invoices} invoices")
        check(lines >= bookings, f"{lines} lines for {bookings} bookings")
        numbers = sorted(
            int(n.rsplit("-", 1)[1])
            for n in Invoice.objects.filter(run=real).values_list("number", flat=True)
        )
        check(numbers == list(range(1, invoices + 1)), "numbers with a gap")
        total = Invoice.objects.filter(run=real).aggregate(s=Sum("total"))["s"]
        line_total = InvoiceLine.objects.filter(invoice__run=real).aggregate(
            s=Sum("amount")
        )["s"]
        check(total == line_total, f"totals {total} ≠ lines {line_total}")
        print(
            f"real run: {invoices} invoices, {lines} lines in {real_seconds:.1f} s (CPU {real_cpu:.1f} s)"
        )

        chosen = list(
            Invoice.objects.filter(run=real)
            .select_related("family", "regie")
            .order_by("pk")[: args.pdfs]
        )
        documents.lay_out(chosen[:2])  # warm up: fonts, style sheet, templates
        chosen = chosen[2:]
        cpu = cpu_seconds()
        start = time.perf_counter()
        laid_out = documents.lay_out(chosen)
        pdf_seconds = time.perf_counter() - start
        pdf_cpu = cpu_seconds() - cpu
        import pikepdf

        pages = 0
        for invoice in chosen:
            invoice.refresh_from_db(fields=["pdf"])
            with invoice.pdf.open("rb") as stored:
                pdf = pikepdf.open(io.BytesIO(stored.read()))
                check("/StructTreeRoot" in pdf.Root, "an untagged invoice PDF")
                pages += len(pdf.pages)
        check(laid_out == len(chosen), f"{laid_out} PDFs laid out")
        pages_per_second = pages / pdf_seconds
        print(
            f"PDFs: {laid_out} invoices, {pages} pages in {pdf_seconds:.1f} s "
            f"= {pages_per_second:.1f} pages/s (CPU {pdf_cpu:.1f} s: "
            f"{2 * pages / pdf_cpu:.1f} pages/s on two free cores)"
        )
        connection.close()

    targets = {"dry_run_s": 60, "real_run_s": 60, "pdf_pages_per_s": 15}
    result = {
        "families": args.families,
        "workers": args.workers,
        "children": args.families * 2,
        "bookings": bookings,
        "dry_run_s": round(dry_seconds, 1),
        "dry_run_cpu_s": round(dry_cpu, 1),
        "real_run_s": round(real_seconds, 1),
        "real_run_cpu_s": round(real_cpu, 1),
        "invoices": invoices,
        "lines": lines,
        "pdf_invoices": laid_out,
        "pdf_pages": pages,
        "pdf_pages_per_s": round(pages_per_second, 1),
        "pdf_cpu_s": round(pdf_cpu, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "targets": targets,
        "met": dry_seconds <= 60 and real_seconds <= 60 and pages_per_second >= 15,
    }
    print(json.dumps(result))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
