"""The monthly run of a régie: started by an agent, split into batches of families, each
batch one background task and one transaction.

A dry run stores what each family would be invoiced (lines, totals, the change since last
month, anomalies) for agents to review. The real run issues the invoices: numbers are
allocated in the batch's transaction, so a crash rolls the batch back whole (numbers
included) and ``resume`` runs the batches left, giving the same invoices as one clean run;
a batch already done is never done twice, whichever worker picks it up again.
"""

from __future__ import annotations

import datetime
import gc
import logging

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from . import numbering
from .compute import Draft, RegieMonth, carried_in_text, month_bounds
from .models import (
    BillingRun,
    Invoice,
    InvoiceLine,
    Regie,
    RulesVersion,
    RunBatch,
    RunFamily,
    ServiceMonth,
)
from .signals import invoices_issued

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


class RunRefused(ValueError):
    """A run that cannot start; the message is French, for the agent."""


def start_run(
    regie: Regie,
    month: datetime.date,
    *,
    dry_run: bool,
    user=None,
    today: datetime.date | None = None,
) -> BillingRun:
    """Create the run and its batches (``tasks.start`` also queues them). The real run
    of a month already started is returned as it is: starting it again resumes it."""
    month = month.replace(day=1)
    today = today or timezone.localdate()
    if month_bounds(month)[1] >= today:
        raise RunRefused(
            "Ce mois n'est pas terminé : il ne peut être facturé qu'à partir du "
            "premier jour du mois suivant."
        )
    if not regie.rules.exists():
        raise RunRefused(
            "Aucun service n'a de règles de facturation dans cette régie : rien à "
            "facturer."
        )
    if not dry_run:
        existing = BillingRun.objects.filter(regie=regie, month=month, dry_run=False)
        if existing.exists():
            return existing.get()
    try:
        with transaction.atomic():
            return _create(regie, month, dry_run, user, today)
    except IntegrityError:  # another agent started the same real run just now
        return BillingRun.objects.get(regie=regie, month=month, dry_run=False)


def _create(regie, month, dry_run, user, today) -> BillingRun:
    run = BillingRun.objects.create(
        regie=regie,
        month=month,
        dry_run=dry_run,
        requested_by=user,
        issue_date=None if dry_run else today,
        due_date=None
        if dry_run
        else today + datetime.timedelta(days=regie.payment_days),
    )
    families = RegieMonth(regie, month).family_ids()
    RunBatch.objects.bulk_create(
        RunBatch(run=run, index=index, family_ids=families[start : start + BATCH_SIZE])
        for index, start in enumerate(range(0, len(families), BATCH_SIZE))
    )
    run.total = len(families)
    if not families:
        run.status, run.finished_at = BillingRun.Status.DONE, timezone.now()
    run.save(update_fields=["total", "status", "finished_at"])
    return run


def pending_batches(run: BillingRun) -> list[int]:
    """The batches of the run not done yet (all of them after a crash mid-batch: a
    batch is done whole or not at all); a failed run is running again."""
    pending = list(run.batches.filter(done=False).values_list("pk", flat=True))
    if pending and run.status == BillingRun.Status.FAILED:
        BillingRun.objects.filter(pk=run.pk).update(
            status=BillingRun.Status.RUNNING, error=""
        )
    return pending


def process_batch(batch_pk: int) -> list[int]:
    """Compute (dry run) or issue (real run) a batch of families, in one transaction;
    returns the ids of the invoices issued. A batch already done does nothing.

    A batch makes tens of thousands of short-lived objects (occurrences, lines): the
    cyclic garbage collector, walking them again and again, took a third of the time.
    It is paused during the batch, as while laying out PDFs (certificates/pdfworker.py).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _process_batch(batch_pk)
    finally:
        if was_enabled:
            gc.enable()


def _process_batch(batch_pk: int) -> list[int]:
    batch = RunBatch.objects.select_related("run__regie").get(pk=batch_pk)
    if batch.done:
        return []
    run = batch.run
    BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.PENDING).update(
        status=BillingRun.Status.RUNNING
    )
    # Computed before the transaction, which then only writes: workers compute their
    # batches side by side, and a régie's number series stays locked for a moment only.
    if batch.issue_date is not None:  # a re-run of families to correct: its dates
        run.issue_date, run.due_date = batch.issue_date, batch.due_date
    regie_month = RegieMonth(run.regie, run.month)
    drafts = regie_month.compute(batch.family_ids)
    with transaction.atomic():
        batch = RunBatch.objects.select_for_update().get(pk=batch_pk)
        if batch.done:  # another worker did it meanwhile
            return []
        if run.dry_run:
            issued = []
            _record(run, drafts, {})
        else:
            issued = _issue(run, regie_month, drafts)
            # Payments uses the families' credit on them, in this transaction.
            invoices_issued.send(sender=Invoice, invoice_ids=issued)
        batch.done, batch.finished_at = True, timezone.now()
        batch.save(update_fields=["done", "finished_at"])
        _count(run, drafts, issued)
    return issued


def fail(batch_pk: int, error: Exception) -> None:
    """Record for the agent that a batch failed; ``resume`` runs it again."""
    logger.error("Billing batch %s failed: %r", batch_pk, error)
    BillingRun.objects.filter(batches__pk=batch_pk).update(
        status=BillingRun.Status.FAILED,
        error=(
            "Un lot de familles n'a pas pu être traité : rien n'a été émis pour ce "
            "lot. Relancez la facturation pour le reprendre."
        ),
    )


def _count(run: BillingRun, drafts: list[Draft], issued: list[int]) -> None:
    amount = sum((d.total for d in drafts if d.issues_invoice), 0)
    rows = BillingRun.objects.filter(pk=run.pk)
    rows.update(
        done=F("done") + len(drafts),
        invoices=F("invoices") + (len(issued) if not run.dry_run else 0),
        amount=F("amount") + (amount if not run.dry_run else 0),
    )
    # Lock the run last (after the numbers) so that only one batch sees itself last.
    locked = rows.select_for_update().get()
    if not locked.batches.filter(done=False).exists():
        rows.update(status=BillingRun.Status.DONE, finished_at=timezone.now())


def _record(run, drafts, invoices) -> None:
    RunFamily.objects.bulk_create(
        RunFamily(
            run=run,
            family_id=draft.family_id,
            outcome=_outcome(draft),
            total=draft.total if not draft.error else 0,
            previous_total=draft.previous_total,
            anomalies=draft.anomalies,
            preview=preview(draft) if run.dry_run else {},
            invoice=invoices.get(draft.family_id),
        )
        for draft in drafts
    )


def _outcome(draft: Draft) -> str:
    if draft.error:
        return RunFamily.Outcome.ERROR
    if draft.issues_invoice:
        return RunFamily.Outcome.INVOICED
    if any(s.result.carried_over for s in draft.sections):
        return RunFamily.Outcome.CARRIED
    return RunFamily.Outcome.NOTHING


def preview(draft: Draft) -> dict:
    """What a dry run keeps of a family: its sections' totals and the extras (the lines
    themselves are computed again when an agent opens the family: a month of a large
    city's lines is too much to store for a review)."""
    return {
        "sections": [
            {
                "label": section.label,
                "tariff": section.tariff_text,
                "carried_in": str(section.result.carried_in),
                "total": str(section.result.total),
                "invoiced": section.result.invoiced,
                "carried_over": str(section.result.carried_over),
                "lines": len(section.result.lines),
            }
            for section in draft.sections
        ],
        "extras": [
            {"case": e.case, "amount": str(e.amount), "explanation": e.explanation}
            for e in draft.extras
        ],
    }


def _issue(run: BillingRun, regie_month: RegieMonth, drafts: list[Draft]) -> list[int]:
    to_issue = [d for d in drafts if d.issues_invoice]
    numbers = numbering.allocate(run.regie, run.issue_date.year, len(to_issue))
    invoices = Invoice.objects.bulk_create(
        Invoice(
            regie=run.regie,
            family_id=draft.family_id,
            month=run.month,
            number=number,
            issue_date=run.issue_date,
            due_date=run.due_date,
            total=draft.total,
            run=run,
            created_by=run.requested_by,
        )
        for draft, number in zip(to_issue, numbers, strict=True)
    )
    by_family = {invoice.family_id: invoice for invoice in invoices}
    sections, lines = [], []
    for draft in drafts:
        if draft.error:
            continue
        invoice = by_family.get(draft.family_id)
        for section in draft.sections:
            sections.append(_section_rows(run, draft, section, invoice, lines))
        for extra in draft.extras if invoice else []:
            line = {
                "invoice_id": invoice.pk,
                "section": None,
                "child_id": extra.child_id,
                "activity_id": extra.enrolment.period.activity_id
                if extra.enrolment
                else None,
                "enrolment_id": extra.enrolment.pk if extra.enrolment else None,
                "date": extra.date,
                "case": extra.case,
                "quantity": 1,
                "unit_price": extra.amount,
                "amount": extra.amount,
                "explanation": extra.explanation,
                "regularised_month": extra.regularised_month,
            }
            if extra.adjustment is None:
                lines.append(line)
            else:  # the correction points to its line: saved one by one (rare)
                line.pop("section")
                saved = InvoiceLine.objects.create(position=len(lines), **line)
                extra.adjustment.line = saved
                extra.adjustment.save(update_fields=["line"])
    ServiceMonth.objects.bulk_create(sections)
    _insert_lines(lines)
    RulesVersion.objects.filter(
        pk__in={v.pk for v in regie_month.versions.values()}, locked=False
    ).update(locked=True)
    _record(run, drafts, by_family)
    return [invoice.pk for invoice in invoices]


LINE_COLUMNS = (
    "invoice_id",
    "section_id",
    "position",
    "child_id",
    "activity_id",
    "enrolment_id",
    "date",
    "case",
    "quantity",
    "unit_price",
    "amount",
    "explanation",
    "base_price",
    "rules_version_id",
    "regularised_month",
)


def _insert_lines(lines: list[dict]) -> None:
    """Insert the batch's lines without model instances (a run writes hundreds of
    thousands, and building an instance for each took most of its time): PostgreSQL
    receives them with one COPY (the server parses no INSERT per line: executing one
    per line had made it the run's busiest process), SQLite with one prepared
    statement."""
    if not lines:
        return
    quote = connection.ops.quote_name
    table = quote(InvoiceLine._meta.db_table)
    columns = ", ".join(quote(column) for column in LINE_COLUMNS)
    as_text = connection.vendor == "sqlite"

    def day(value):
        return value.isoformat() if as_text and value is not None else value

    rows = []
    for position, line in enumerate(lines):
        section = line.get("section")
        rows.append(
            (
                line["invoice_id"],
                section.pk if section is not None else None,
                position,
                line["child_id"],
                line["activity_id"],
                line["enrolment_id"],
                day(line["date"]),
                line["case"],
                line["quantity"],
                line["unit_price"],
                line["amount"],
                line["explanation"],
                line.get("base_price"),
                line.get("rules_version_id"),
                day(line.get("regularised_month")),
            )
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The model's own table and column names, quoted: nothing from outside.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = (
            f"INSERT INTO {table} ({columns}) "  # noqa: S608 - our names, quoted
            f"VALUES ({', '.join(['%s'] * len(LINE_COLUMNS))})"
        )
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _section_rows(run, draft, section, invoice, lines) -> ServiceMonth:
    result = section.result
    enrolment = section.enrolment
    invoiced = result.invoiced and invoice is not None
    row = ServiceMonth(
        run=run,
        family_id=draft.family_id,
        child_id=enrolment.child_id,
        activity_id=enrolment.period.activity_id,
        enrolment=enrolment,
        month=run.month,
        rules_version=section.version,
        tariff=section.tariff_text,
        carried_in=result.carried_in,
        total=result.total,
        invoiced=invoiced,
        carried_over=result.carried_over,
        invoice=invoice if invoiced else None,
    )
    common = {
        "invoice_id": invoice.pk if invoiced else None,
        "section": row,
        "child_id": enrolment.child_id,
        "activity_id": enrolment.period.activity_id,
        "enrolment_id": enrolment.pk,
    }
    if result.carried_in:
        lines.append(
            {
                **common,
                "date": run.month,
                "case": InvoiceLine.CARRIED_IN,
                "quantity": 1,
                "unit_price": result.carried_in,
                "amount": result.carried_in,
                "explanation": carried_in_text(
                    result.carried_in, section.version.document["minimum_invoice"]
                ),
            }
        )
    base = section.tariff.amount
    for line in result.lines:
        lines.append(
            {
                **common,
                "date": line.date,
                "case": line.case,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "explanation": line.explanation,
                "base_price": base,
                "rules_version_id": section.version.pk,
            }
        )
    return row
