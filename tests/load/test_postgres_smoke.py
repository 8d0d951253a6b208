"""The throwaway PostgreSQL cluster of `make test` is really there and really locks rows."""

import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_database_is_postgresql_15_or_later():
    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 150000


def test_every_migration_is_applied():
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


def in_thread(target):
    """Run `target` in a thread with its own connection; return a joiner that re-raises."""
    outcome = {}

    def run():
        try:
            outcome["value"] = target()
        except BaseException as error:  # noqa: BLE001 - handed back to the test thread
            outcome["error"] = error
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()

    def join():
        thread.join(timeout=30)
        assert not thread.is_alive(), "the thread is stuck"
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    return join


def wait_for_a_blocked_lock(timeout=20.0):
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("no connection ever waited for the lock")


def test_select_for_update_makes_a_second_connection_wait():
    group = Group.objects.create(name="Places: 1")
    locked = threading.Event()
    release = threading.Event()

    def holder():
        with transaction.atomic():
            row = Group.objects.select_for_update().get(pk=group.pk)
            locked.set()
            assert release.wait(timeout=20)
            row.name = "Places: 0"
            row.save()

    def impatient():
        with transaction.atomic():
            Group.objects.select_for_update(nowait=True).get(pk=group.pk)

    def patient():
        with transaction.atomic():
            return Group.objects.select_for_update().get(pk=group.pk).name

    join_holder = in_thread(holder)
    assert locked.wait(timeout=20)
    # While the first transaction holds the row, a NOWAIT lock fails at once...
    with pytest.raises(DatabaseError):
        in_thread(impatient)()
    # ...and a plain one waits for the commit, then reads the committed value.
    join_patient = in_thread(patient)
    wait_for_a_blocked_lock()
    release.set()
    join_holder()
    assert join_patient() == "Places: 0"
