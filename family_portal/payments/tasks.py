"""PayFiP's notifications, checked in the background (django-tasks).

The endpoint notes each notification on its operation (notifications.py) and calls
``queue_check``: one ``check_notified_operations`` task waiting in the queue is enough,
as it takes every operation noted before it starts. So a burst of 1,000 notifications
queues a few tasks, not 1,000, and each runs ``PAYFIP_CHECK_THREADS`` questions to
PayFiP at once. The immediate backend checks at once, inside the request (demo, tests);
in production the ``manage.py db_worker`` processes do (deploy/README.md).
"""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from .notifications import check_noted


# Before the batches of a billing run or a certificate print queued on the same
# workers: a family waits for this one.
@task(priority=10)
def check_notified_operations() -> dict[str, int]:
    """Ask PayFiP about every noted operation and record its answers; the counts of
    their statuses."""
    return check_noted(threads=settings.PAYFIP_CHECK_THREADS)


def queue_check() -> None:
    """Make sure a check will take the operation just noted."""
    if not _check_waiting_in_queue():
        check_notified_operations.enqueue()


def _check_waiting_in_queue() -> bool:
    """A check still waiting in django-tasks-db's queue. It sees the operation just
    noted: its db_worker claims it (a committed write, after this read) before it
    takes anything. A check already running may not: then another one is queued."""
    from django_tasks_db.backend import DatabaseBackend

    backend = check_notified_operations.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return False
    from django_tasks_db.models import DBTaskResult  # only with its app installed

    return (
        DBTaskResult.objects.ready()
        .filter(
            backend_name=backend.alias,
            task_path=check_notified_operations.module_path,
        )
        .exists()
    )
