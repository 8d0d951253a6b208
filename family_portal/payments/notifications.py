"""PayFiP's notifications: noted at once, checked in the background, a few at a time.

A notification only says "go and ask PayFiP about this idOp" (PAYFIP.md). The endpoint
notes it on the operation (``notified_at``, one UPDATE) and makes sure a check is queued
(tasks.py); the check takes the noted operations and asks PayFiP about each with
``ask_about`` (services.py: PayFiP's own answer, compare-and-set, one payment per
operation). A burst of notifications is thus a burst of UPDATEs for the web workers,
and one task with a few threads for the db_workers, PayFiP's wait (50 ms to seconds a
question) overlapping in those threads rather than holding one task each.

Each thread takes a few noted operations at a time (``FOR UPDATE SKIP LOCKED``: two
threads or two db_workers never take the same one) and clears their mark as it takes
them; a notification arriving meanwhile marks its operation again, to be taken again
(and found settled without asking PayFiP). An operation whose check fails (PayFiP
unreachable) stays waiting: the return page and the daily command ask again.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from .models import OperationStatus, PaymentOperation
from .payfip import PayFiPError
from .services import ask_about

LOGGER = logging.getLogger("family_portal.payments")

# Operations a thread takes at once: few, so that the threads share a burst evenly.
TAKE = 4


def note(idop: str) -> str | None:
    """Note PayFiP's notification about ``idop``: the operation's status, None for an
    ``idOp`` we never created. Only a waiting operation is noted (to be checked)."""
    if PaymentOperation.objects.filter(
        idop=idop, status=OperationStatus.WAITING
    ).update(notified_at=timezone.now()):
        return OperationStatus.WAITING
    return (
        PaymentOperation.objects.filter(idop=idop)
        .values_list("status", flat=True)
        .first()
    )


def take(limit: int = TAKE) -> list[PaymentOperation]:
    """Up to ``limit`` noted operations, with their invoice, family and régie (what
    recording a payment needs), their marks cleared; none that another thread or
    process holds."""
    with transaction.atomic():
        operations = list(
            PaymentOperation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notified_at__isnull=False)
            .select_related("invoice__family", "invoice__regie")
            .order_by("notified_at")[:limit]
        )
        if operations:
            PaymentOperation.objects.filter(
                pk__in=[operation.pk for operation in operations]
            ).update(notified_at=None)
    return operations


def _check(operation: PaymentOperation) -> str:
    try:
        return ask_about(operation).status
    except PayFiPError as error:
        LOGGER.warning(
            "PayFiP unreachable on notification for %s: %s", operation.idop, error
        )
        return "unreachable"
    except Exception:  # one operation's failure must not leave the others unchecked
        LOGGER.exception("checking the notified operation %s failed", operation.idop)
        return "failed"


def check_noted(threads: int = 1) -> dict[str, int]:
    """Check every noted operation, with ``threads`` threads (each its own database
    connection, closed at its end); how many ended in each status.

    Inside a transaction (the immediate task backend in a test) the checks run in the
    caller's thread: other connections would not see its uncommitted rows.
    """
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def drain() -> None:
        while batch := take():
            for operation in batch:
                status = _check(operation)
                with lock:
                    counts[status] += 1

    if threads <= 1 or connection.in_atomic_block:
        drain()
        return dict(counts)

    def in_thread() -> None:
        try:
            drain()
        except Exception:
            LOGGER.exception("a thread checking notified operations stopped")
        finally:
            connection.close()

    workers = [
        threading.Thread(target=in_thread, name=f"payfip-check-{n}")
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return dict(counts)
