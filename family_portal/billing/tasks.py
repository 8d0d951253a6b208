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
        lay_out_invoices.enqueue(issued)
    return len(issued)


def lay_out_on_commit(invoice_ids: list[int]) -> None:
    transaction.on_commit(lambda: lay_out_invoices.enqueue(list(invoice_ids)))


@task()
def lay_out_invoices(invoice_ids: list[int]) -> int:
    """Lay out the invoices' PDFs (once) and e-mail the families; returns how many."""
    return documents.lay_out_and_send(invoice_ids)
