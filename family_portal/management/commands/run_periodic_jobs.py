"""`manage.py run_periodic_jobs`: the periodic jobs of family_portal/periodic.py.

    manage.py run_periodic_jobs --once retry_quotients   # one job, now (systemd timers)
    manage.py run_periodic_jobs --list                   # the schedule
    manage.py run_periodic_jobs                          # a loop starting each job when
                                                         # due (``make demo``)

A job that fails is reported on stderr; the loop goes on with the next minute. With
``--once`` the command fails (non-zero exit) when its job does.
"""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from family_portal.periodic import JOBS, due, job


class Command(BaseCommand):
    help = "Run the periodic jobs: one now (--once NAME), or each when due (a loop)."

    def add_arguments(self, parser):
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument(
            "--once",
            metavar="NAME",
            help="run this job now: " + ", ".join(j.name for j in JOBS),
        )
        choice.add_argument("--list", action="store_true", help="print the schedule")
        parser.add_argument(
            "--for-seconds",
            type=float,
            default=0,
            help="stop the loop after this many seconds (default: never)",
        )

    def handle(self, *args, once=None, list=False, for_seconds=0, **options):  # noqa: A002
        if list:
            for entry in JOBS:
                self.stdout.write(
                    f"{entry.name:<22} {entry.schedule.on_calendar(settings.TIME_ZONE):<36} "
                    f"{entry.description}"
                )
            return
        if once:
            try:
                entry = job(once)
            except KeyError:
                raise CommandError(
                    f"No periodic job named {once!r}: "
                    + ", ".join(j.name for j in JOBS)
                ) from None
            if not self.run(entry, timezone.localdate()):
                raise CommandError(f"The periodic job {once} failed (see above).")
            return
        self.loop(for_seconds)

    def run(self, entry, today: datetime.date) -> bool:
        argv = entry.argv(today)
        self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {' '.join(argv)}")
        try:
            call_command(*argv, stdout=self.stdout, stderr=self.stderr)
        except Exception as error:  # noqa: BLE001 - reported; the loop goes on
            self.stderr.write(f"{entry.name} failed: {type(error).__name__}: {error}")
            return False
        return True

    def loop(self, seconds: float) -> None:
        """Each minute (on the minute, in local time), the jobs due then."""
        self.stdout.write(
            "Periodic jobs: " + ", ".join(j.name for j in JOBS) + " (Ctrl-C stops)"
        )
        self.stdout.flush()
        deadline = time.monotonic() + seconds if seconds else None
        while deadline is None or time.monotonic() < deadline:
            now = timezone.localtime()
            for entry in due(now):
                self.run(entry, now.date())
            self.stdout.flush()
            next_minute = now.replace(second=0, microsecond=0) + datetime.timedelta(
                minutes=1
            )
            pause = (next_minute - timezone.localtime()).total_seconds()
            if deadline is not None:
                pause = min(pause, max(0.0, deadline - time.monotonic()))
            time.sleep(max(0.0, pause))
