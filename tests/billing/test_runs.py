"""The monthly run: dry run, real run, numbering, a run twice, a crash and a rerun."""

from decimal import Decimal

import pytest

from family_portal.billing import runs, tasks
from family_portal.billing.models import (
    BillingRun,
    Invoice,
    InvoiceLine,
    RunFamily,
    ServiceMonth,
)

from .conftest import after, september, service_days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pdfs(settings):
    settings.BILLING_LAY_OUT_ON_ISSUE = False


def run_month(regie, month=None, *, dry_run=False, capture):
    month = month or september()
    with capture(execute=True):
        run = tasks.start(regie, month, dry_run=dry_run, today=after(month))
    run.refresh_from_db()
    return run


def test_dry_run_shows_lines_totals_and_issues_nothing(
    regie, booked, django_capture_on_commit_callbacks
):
    run = run_month(regie, dry_run=True, capture=django_capture_on_commit_callbacks)
    assert run.status == BillingRun.Status.DONE
    assert run.done == run.total == 1
    assert not Invoice.objects.exists()
    result = RunFamily.objects.get(run=run)
    days = len(list(service_days(september())))
    # No QF: the highest price of the grid, 3,50 € a meal, for two children.
    assert result.total == Decimal("3.50") * days * 2
    assert result.outcome == RunFamily.Outcome.INVOICED
    sections = result.preview["sections"]
    assert [s["label"] for s in sections] == [
        "Léa — Restauration scolaire",
        "Tom — Restauration scolaire",
    ]
    assert sections[0]["lines"] == days


def test_real_run_issues_numbered_invoices_with_lines(
    regie, booked, django_capture_on_commit_callbacks
):
    run = run_month(regie, capture=django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get()
    year = after(september()).year
    assert invoice.number == f"ENF-{year}-000001"
    assert invoice.total == run.amount
    assert run.invoices == 1 and run.status == BillingRun.Status.DONE
    days = len(list(service_days(september())))
    assert invoice.lines.count() == 2 * days
    assert sum(line.amount for line in invoice.lines.all()) == invoice.total
    line = invoice.lines.first()
    assert line.base_price == Decimal("3.50") and line.rules_version.locked
    assert "présence réservée" in line.explanation


def test_a_run_started_twice_issues_nothing_twice(
    regie, booked, django_capture_on_commit_callbacks
):
    first = run_month(regie, capture=django_capture_on_commit_callbacks)
    second = run_month(regie, capture=django_capture_on_commit_callbacks)
    assert first.pk == second.pk
    assert Invoice.objects.count() == 1
    # Even a batch handed again to a worker does nothing.
    for batch in first.batches.all():
        assert runs.process_batch(batch.pk) == []
    assert Invoice.objects.count() == 1
    assert (
        InvoiceLine.objects.count()
        == ServiceMonth.objects.get(child__first_name="Léa").lines.count() * 2
    )


def test_an_unfinished_month_is_refused(regie, booked):
    with pytest.raises(runs.RunRefused, match="pas terminé"):
        runs.start_run(regie, september(), dry_run=True, today=september())


def invoices_snapshot():
    return sorted(
        (
            invoice.family.name,
            invoice.number,
            invoice.total,
            tuple(
                (line.child.first_name, line.date, line.case, line.amount)
                for line in invoice.lines.order_by("position")
            ),
        )
        for invoice in Invoice.objects.select_related("family")
    )


@pytest.fixture
def many_families(booked, canteen, commune, lunch, monkeypatch):  # noqa: F811
    """Five more families booked in September, batches of two families."""
    from tests.family_portal.backoffice_support import enrol
    from tests.family_portal.factories import ChildFactory, FamilyFactory

    from .conftest import book_month

    monkeypatch.setattr(runs, "BATCH_SIZE", 2)
    for index in range(5):
        family = FamilyFactory(name=f"Famille {index}")
        ChildFactory(family=family, first_name=f"Enfant {index}")
        for enrolment in enrol(family, commune, lunch.schedule.period):
            book_month(enrolment, lunch, september())


def test_a_crash_mid_run_then_a_rerun_gives_the_invoices_of_one_clean_run(
    regie, many_families, monkeypatch, django_capture_on_commit_callbacks
):

    clean = run_month(regie, capture=django_capture_on_commit_callbacks)
    assert clean.batches.count() == 3
    expected = invoices_snapshot()
    assert len(expected) == 6
    # Forget it all, then crash in the second batch, after its invoices were written.
    InvoiceLine.objects.all().delete()
    ServiceMonth.objects.all().delete()
    RunFamily.objects.all().delete()
    Invoice.objects.all().delete()
    BillingRun.objects.all().delete()
    from family_portal.billing.models import NumberSequence, RulesVersion

    NumberSequence.objects.all().delete()
    RulesVersion.objects.update(locked=False)
    original = runs._count
    calls = []

    def crash(run, drafts, issued):
        calls.append(run)
        if len(calls) == 2:
            assert Invoice.objects.filter(pk__in=issued).count() == len(issued) > 0
            raise RuntimeError("worker killed")
        original(run, drafts, issued)

    monkeypatch.setattr(runs, "_count", crash)
    crashed = run_month(regie, capture=django_capture_on_commit_callbacks)
    assert crashed.status == BillingRun.Status.FAILED
    assert "Relancez" in crashed.error
    assert crashed.batches.filter(done=False).count() == 1
    assert Invoice.objects.count() == 4  # batches 1 and 3; batch 2 rolled back whole
    monkeypatch.setattr(runs, "_count", original)
    rerun = run_month(regie, capture=django_capture_on_commit_callbacks)
    assert rerun.pk == crashed.pk and rerun.status == BillingRun.Status.DONE
    # Same invoices, same lines, and the numbers still have no gap.
    assert sorted(n for _, n, _, _ in invoices_snapshot()) == sorted(
        n for _, n, _, _ in expected
    )
    assert {(f, t, lines) for f, _, t, lines in invoices_snapshot()} == {
        (f, t, lines) for f, _, t, lines in expected
    }
    assert rerun.invoices == 6 and rerun.done == rerun.total == 6


def test_one_clean_run_in_batch_order_numbers_families_in_order(
    regie, many_families, django_capture_on_commit_callbacks
):
    run_month(regie, capture=django_capture_on_commit_callbacks)
    numbers = list(
        Invoice.objects.order_by("family_id").values_list("number", flat=True)
    )
    assert numbers == sorted(numbers)
    assert [int(n[-6:]) for n in numbers] == list(range(1, 7))


@pytest.mark.postgres
def test_on_postgresql_the_lines_go_in_by_copy_not_one_insert_each(
    regie, booked, django_capture_on_commit_callbacks
):
    """A large city's run writes hundreds of thousands of lines: one INSERT each made
    PostgreSQL the run's busiest process. They go in with one COPY a batch, and come
    out as the engine computed them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run_month(regie, capture=django_capture_on_commit_callbacks)
    table = InvoiceLine._meta.db_table
    inserts = [
        q for q in queries.captured_queries if f'INSERT INTO "{table}"' in q["sql"]
    ]
    assert inserts == []
    invoice = Invoice.objects.get()
    lines = list(invoice.lines.order_by("position"))
    days = len(list(service_days(september())))
    assert len(lines) == 2 * days
    assert [line.position for line in lines] == list(range(2 * days))
    assert (
        sum(line.amount for line in lines)
        == invoice.total
        == Decimal("3.50") * days * 2
    )
    assert {(line.quantity, line.unit_price) for line in lines} == {
        (1, Decimal("3.50"))
    }
    assert all(line.section_id and line.explanation for line in lines)


def test_a_run_s_pdfs_are_queued_in_small_tasks_the_workers_share(
    regie, many_families, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_LAY_OUT_ON_ISSUE = True
    monkeypatch.setattr(runs, "BATCH_SIZE", 10)
    monkeypatch.setattr(tasks, "LAY_OUT_BATCH_SIZE", 4)
    queued = []

    class LayOut:  # stands for the task: notes what the workers would be given
        @staticmethod
        def enqueue(ids):
            queued.append(list(ids))

    monkeypatch.setattr(tasks, "lay_out_invoices", LayOut)
    run = run_month(regie, capture=django_capture_on_commit_callbacks)
    issued = sorted(Invoice.objects.filter(run=run).values_list("pk", flat=True))
    assert len(issued) == 6 and run.batches.count() == 1
    # One batch of six invoices: two tasks, not one.
    assert [len(ids) for ids in queued] == [4, 2]
    assert sorted(pk for ids in queued for pk in ids) == issued
