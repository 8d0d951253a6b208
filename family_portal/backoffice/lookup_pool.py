"""Lookups run by a few threads while the calling thread writes their results.

The yearly QF campaign spends most of each family's time waiting for API Particulier:
`LookupPool` runs `lookup(item)` for each item in `workers` threads (the QF client's
shared throttle keeps the API's pace) and hands the results back to the calling thread
in batches, as they come, so that one thread writes them to the database. Stopping
takes no new item; lookups in flight finish and their results are still handed back
(they are paid for: a rerun would ask the API again).

`InlineLookups` does the same in the calling thread, one item at a time (inside a
transaction, other threads would not see its rows).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable

from django.db import connections

logger = logging.getLogger(__name__)


class InlineLookups:
    """One lookup at a time, in the calling thread."""

    def __init__(self, lookup: Callable, items: Iterable) -> None:
        self._lookup = lookup
        self._items = iter(items)
        self._stopped = False

    def next_batch(self) -> list | None:
        """The next result, as a batch of one; None when there is nothing left."""
        if self._stopped:
            return None
        for item in self._items:
            return [self._lookup(item)]
        return None

    def stop(self) -> None:
        self._stopped = True

    def close(self) -> list:
        """Results not handed back yet: none, nothing runs in the background."""
        self._stopped = True
        return []


class LookupPool:
    """`workers` threads taking items from one queue (none is taken twice); their
    results come back through `next_batch`. `lookup` must not raise: it returns
    what the caller will write, failures included."""

    def __init__(
        self,
        lookup: Callable,
        items: Iterable,
        workers: int,
        name: str = "lookup",
        *,
        batch: int = 10,
        gather: float = 0.25,
    ) -> None:
        self._lookup = lookup
        self.batch = batch
        self.gather = gather
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        count = 0
        for item in items:
            self._pending.put(item)
            count += 1
        self._results: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{index}", daemon=True)
            for index in range(min(workers, count))
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    item = self._pending.get_nowait()
                except queue.Empty:
                    return
                self._results.put(self._lookup(item))
        finally:
            connections.close_all()  # this thread's connections, not the caller's

    def _drain(self, batch: list) -> list:
        while True:
            try:
                batch.append(self._results.get_nowait())
            except queue.Empty:
                return batch

    def next_batch(self) -> list | None:
        """The results ready, waiting for at least one, then for up to `gather`
        seconds more while fewer than `batch` have come (a write costs about the same
        for one family or ten); None when every thread has ended and every result
        was handed back."""
        while True:
            try:
                first = self._results.get(timeout=0.2)
            except queue.Empty:
                if not any(thread.is_alive() for thread in self._threads):
                    rest = self._drain([])  # put between the wait and the check
                    return rest or None
                continue
            batch = self._drain([first])
            deadline = time.monotonic() + self.gather
            while len(batch) < self.batch and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    batch.append(self._results.get(timeout=left))
                except queue.Empty:
                    break
            return self._drain(batch)

    def stop(self) -> None:
        """Take no new item; lookups in flight finish."""
        self._stop.set()

    def close(self) -> list:
        """Stop, wait for the lookups in flight, and return the results not handed
        back yet."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        return self._drain([])
