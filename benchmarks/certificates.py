"""Tariff certificate benchmark: one certificate, and a batch of 500 as one PDF.

Creates its own data (the demo commune, then N families enrolled in the canteen) in a
throwaway SQLite database under a temporary folder, with the test settings. Measures, in
the same run so the ratios hold on a noisy machine:

- the median time WeasyPrint takes for a minimal one-page document (the yardstick);
- one certificate as a parent gets it: the download view, signed in, through Django's
  whole middleware stack, of a certificate whose tariff is final (its PDF was laid out
  by the background task when the enrolment was confirmed);
- that background task for one enrolment (issue the certificate, lay out its PDF,
  store it): the one time a certificate is laid out;
- a batch of N certificates in one PDF (as the agents' task and `print_certificates`
  do): the first run issues and lays out every certificate, the next ones reprint the
  stored PDFs; pages/s.

    .venv/bin/python benchmarks/certificates.py [--batch 500] [--runs 15] [--batch-runs 2]

Targets (2-core machine): one certificate ≤ 1.5 × the minimal document; ≥ 15 pages/s in
batch. Prints its figures, then one line of JSON.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MINIMAL_HTML = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Test</title>'
    "</head><body><p>Bonjour.</p></body></html>"
)


def setup_django(folder: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portail_site.test_settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def create_data(count: int):
    """The demo commune, and `count` families each with one child in the canteen,
    enrolled without their certificates: the benchmark issues those itself."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from activities.models import ActivityPage
    from family_portal import enrolment
    from family_portal.certificates import tasks
    from family_portal.certificates.content import commune_settings
    from family_portal.models import Child, Enrolment, Family, Guardian, QuotientRecord

    call_command("load_demo", verbosity=0)
    commune = commune_settings()
    canteen = (
        ActivityPage.objects.filter(category="restauration").order_by("pk").first()
    )
    period = canteen.periods.order_by("start").first()
    period.capacity = count + 10
    period.save()
    user_model = get_user_model()
    schools = ["École des Tilleuls", "École Jules-Ferry", "École du Centre"]
    for index in range(count):
        family = Family.objects.create(
            name=f"Famille Bench {index:04d}",
            street=f"{index + 1} rue des Écoles",
            postcode=commune.postcode_list[0],
            city=commune.name,
        )
        family.users.add(user_model.objects.create(username=f"bench{index}"))
        Guardian.objects.create(
            family=family,
            birth_name="Martin",
            first_name=f"Camille{index}",
            sex="F",
            birth_date=datetime.date(1985, 1, 1),
            birth_commune_code="45234",
        )
        child = Child.objects.create(
            family=family,
            first_name=f"Enfant{index}",
            last_name="Martin",
            birth_date=datetime.date(2017, 5, 1 + index % 28),
            school=schools[index % len(schools)],
        )
        quotient = QuotientRecord.objects.create(
            family=family,
            value=Decimal(300 + (index * 37) % 1900),
            provider="CNAF",
            source=QuotientRecord.Source.API,
            month=datetime.date(2026, 9, 1),
            valid_from=datetime.date(2026, 9, 1),
            valid_until=datetime.date(2027, 8, 31),
        )
        with mock.patch.object(tasks, "prepare_on_commit"):
            enrolment.confirm(
                family,
                commune,
                period,
                [child],
                enrolment.QfChoice(Enrolment.QfSource.API, quotient),
            )
    return canteen, period


def check(condition: bool, message: str) -> None:
    """What the benchmark measures must be what it claims: stop otherwise."""
    if not condition:
        raise RuntimeError(message)


def median_seconds(function, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--batch", type=int, default=500, help="certificates in a batch"
    )
    parser.add_argument(
        "--runs", type=int, default=15, help="runs of the single renders"
    )
    parser.add_argument(
        "--batch-runs", type=int, default=2, help="reprints of the batch"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as folder:
        started = time.perf_counter()
        setup_django(Path(folder))
        canteen, period = create_data(args.batch + args.runs + 1)
        print(
            f"setup: {args.batch} enrolments in {time.perf_counter() - started:.1f} s"
        )

        from django.test import Client
        from django.urls import reverse
        from pypdf import PdfReader
        from weasyprint import HTML

        from family_portal.certificates import services
        from family_portal.models import Certificate

        enrolments = list(services.batch_enrolments(canteen, period))
        # The single-certificate runs use their own enrolments; the batch the others.
        singles, enrolments = enrolments[: args.runs + 1], enrolments[args.runs + 1 :]

        def minimal_document():
            HTML(string=MINIMAL_HTML).write_pdf()

        prepared = iter(singles)

        def background_task():
            # What the task queued by a confirmation does, for one enrolment.
            laid_out = services.prepare([next(prepared).pk])
            check(laid_out == 1, f"the task laid out {laid_out} certificates, not 1")

        downloaded = singles[0]
        client = Client()
        client.force_login(downloaded.family.users.get())
        url = reverse("family_portal:certificate", args=[downloaded.reference])

        def download():
            response = client.get(url)
            check(
                response.status_code == 200
                and response["Content-Type"] == "application/pdf",
                f"the download answered {response.status_code}",
            )
            return response.content

        # Warm up every path (imports, fonts, caches), then measure alternately.
        minimal_document()
        background_task()  # lays out the downloaded enrolment's certificate
        pdf = download()
        stored = Certificate.objects.get(enrolment=downloaded)
        check(pdf == stored.pdf.read(), "the download is not the stored PDF")
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        check(stored.number in text, "the downloaded PDF lacks its number")
        minimal = median_seconds(minimal_document, args.runs)
        single = median_seconds(download, args.runs)
        issuing = median_seconds(background_task, args.runs)
        minimal_after = median_seconds(minimal_document, args.runs)
        minimal = statistics.median([minimal, minimal_after])
        check(
            not Certificate.objects.filter(pdf="").exists(),
            "a certificate issued by the task has no PDF",
        )

        def batch():
            output = io.BytesIO()
            result = services.print_batch(enrolments, output)
            return result, output.getvalue()

        def cpu_seconds():
            # This process and its finished children (the pool's worker processes).
            times = os.times()
            return (
                times.user + times.system + times.children_user + times.children_system
            )

        cpu_started = cpu_seconds()
        first_started = time.perf_counter()
        first, pdf = batch()
        first_seconds = time.perf_counter() - first_started
        cpu_per_page = (cpu_seconds() - cpu_started) / first.pages
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        reprints = []
        for _ in range(args.batch_runs):
            started = time.perf_counter()
            batch()
            reprints.append(time.perf_counter() - started)
        reprint = statistics.median(reprints)

    ratio = single / minimal
    issuing_ratio = issuing / minimal
    first_rate = pages / first_seconds
    reprint_rate = pages / reprint
    print(f"minimal one-page WeasyPrint document: {minimal * 1000:.1f} ms (median)")
    print(
        f"one certificate, parent's download:   {single * 1000:.1f} ms (median), "
        f"{ratio:.2f} × the minimal document (target ≤ 1.5)"
    )
    print(
        f"issuing it (background task: issue, lay out once, store): "
        f"{issuing * 1000:.1f} ms (median), {issuing_ratio:.2f} × the minimal document"
    )
    print(
        f"batch of {first.pages} (issuing {first.issued}):           "
        f"{first_seconds:.1f} s, {pages} pages, {first_rate:.1f} pages/s (target ≥ 15)"
    )
    print(
        f"batch reprint (median of {args.batch_runs}):          "
        f"{reprint:.1f} s, {reprint_rate:.1f} pages/s"
    )
    print(
        f"batch CPU time (all processes):       {cpu_per_page * 1000:.0f} ms a page, "
        f"so at most {(os.cpu_count() or 1) / cpu_per_page:.1f} pages/s on "
        f"{os.cpu_count()} idle cores; load average now "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        json.dumps(
            {
                "benchmark": "certificates",
                "cpus": os.cpu_count(),
                "minimal_ms": round(minimal * 1000, 1),
                "certificate_download_ms": round(single * 1000, 1),
                "ratio": round(ratio, 2),
                "certificate_issue_ms": round(issuing * 1000, 1),
                "issue_ratio": round(issuing_ratio, 2),
                "batch_size": first.pages,
                "batch_pages": pages,
                "batch_first_s": round(first_seconds, 2),
                "batch_first_pages_per_s": round(first_rate, 1),
                "batch_reprint_s": round(reprint, 2),
                "batch_reprint_pages_per_s": round(reprint_rate, 1),
                "batch_cpu_ms_per_page": round(cpu_per_page * 1000),
                "load_average": round(os.getloadavg()[0], 2),
                "targets_met": ratio <= 1.5 and min(first_rate, reprint_rate) >= 15,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
