"""PayFiP's notifications, checked in the background (django-tasks).

A notification only says "go and ask PayFiP about this idOp". Asking takes PayFiP's
time (a SOAP call, 50 ms to seconds); the endpoint queues the question and answers at
once, so that a burst of notifications holds neither the web workers' threads nor
their database connections, and the pages keep being served. The immediate backend
asks at once, inside the request (demo, tests); in production ``manage.py db_worker``
processes ask, a few at a time. An operation whose check fails (PayFiP unreachable)
stays waiting: the return page and the daily command ask again.
"""

from __future__ import annotations

import logging

from django_tasks import task

from .payfip import PayFiPError
from .services import check_operation

LOGGER = logging.getLogger("family_portal.payments")


# Before the batches of a billing run or a certificate print queued on the same
# workers: a family waits for this one.
@task(priority=10)
def check_notified_operation(idop: str) -> str:
    """Ask PayFiP about ``idop`` and record its answer; the operation's status."""
    try:
        operation = check_operation(idop)
    except PayFiPError as error:
        LOGGER.warning("PayFiP unreachable on notification for %s: %s", idop, error)
        return "unreachable"
    return operation.status if operation else "unknown"
