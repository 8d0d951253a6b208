"""Background work of billing (django-tasks): the batches of a monthly run, and the
invoices' PDFs laid out once and e-mailed. Several ``db_worker`` processes, on one
machine or several sharing the database, share a run's batches.

The immediate backend runs them at once (demo, tests); in production the database
backend queues them for ``manage.py db_worker``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_tasks import task

from . import documents, runs
from . import rerun as rerunning


def start(regie, month, *, dry_run: bool, user=None, today=None):
    """Start (or, for a real run already started, resume) a run: its batches are
    queued once the transaction commits."""
    run = runs.start_run(regie, month, dry_run=dry_run, user=user, today=today)
    resume(run)
    return run


def resume(run) -> int:
    """Queue every batch of the run not done yet; returns how many."""
    pending = runs.pending_batches(run)

    def enqueue():
        for pk in pending:
            run_batch.enqueue(pk)

    transaction.on_commit(enqueue)
    return len(pending)


def rerun(run, which: str = "errors"):
    """Run the month again for the families left to correct (``rerun.py``)."""
    batch = rerunning.rerun(run, which)
    resume(run)
    return batch


@task()
def run_batch(batch_pk: int) -> int:
    """One batch of a run; returns the number of invoices issued."""
    try:
        issued = runs.process_batch(batch_pk)
    except Exception as error:
        runs.fail(batch_pk, error)
        raise
    if issued and getattr(settings, "BILLING_LAY_OUT_ON_ISSUE", True):
        queue_lay_out(issued)
    return len(issued)


# Invoices per lay-out task: each ``db_worker`` lays out its tasks itself, one core
# each, so a run's PDFs are shared between the workers in tasks of a few seconds (one
# task of a batch's 200 invoices kept one worker busy while the others waited, and
# spawned two processes of its own that loaded WeasyPrint and the fonts again).
LAY_OUT_BATCH_SIZE = 20


def queue_lay_out(invoice_ids: list[int]) -> int:
    """Queue the invoices' PDFs in tasks of ``LAY_OUT_BATCH_SIZE``; returns how many
    tasks."""
    ids = list(invoice_ids)
    for start in range(0, len(ids), LAY_OUT_BATCH_SIZE):
        lay_out_invoices.enqueue(ids[start : start + LAY_OUT_BATCH_SIZE])
    return -(-len(ids) // LAY_OUT_BATCH_SIZE)


def lay_out_on_commit(invoice_ids: list[int]) -> None:
    ids = list(invoice_ids)
    transaction.on_commit(lambda: queue_lay_out(ids))


@task()
def lay_out_invoices(invoice_ids: list[int]) -> int:
    """Lay out the invoices' PDFs (once, in this worker process) and e-mail the
    families; returns how many."""
    return documents.lay_out_and_send(invoice_ids, workers=1)
