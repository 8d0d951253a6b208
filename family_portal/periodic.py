"""The periodic jobs and their schedule, defined once.

Production runs each job from a systemd timer (``deploy/systemd/``, checked against
this table by the tests) through ``manage.py run_periodic_jobs --once NAME``; ``make
demo`` runs ``manage.py run_periodic_jobs``, a loop that starts each job when it is due.
Times are the commune's (``TIME_ZONE``, Europe/Paris).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Schedule:
    """When a job runs, cron-like: ``None`` is "every" (every minute, hour, day…)."""

    minute: int | None = None
    hour: int | None = None
    day: int | None = None
    month: int | None = None

    def is_due(self, moment: datetime.datetime) -> bool:
        return all(
            wanted is None or wanted == actual
            for wanted, actual in (
                (self.minute, moment.minute),
                (self.hour, moment.hour),
                (self.day, moment.day),
                (self.month, moment.month),
            )
        )

    def on_calendar(self, time_zone: str) -> str:
        """The same schedule as a systemd ``OnCalendar=`` value."""

        def part(value):
            return "*" if value is None else f"{value:02d}"

        return (
            f"*-{part(self.month)}-{part(self.day)} "
            f"{part(self.hour)}:{part(self.minute)}:00 {time_zone}"
        )


def _no_arguments(today: datetime.date) -> list[str]:
    return []


def _campaign_month(today: datetime.date) -> list[str]:
    # The CAF's January QF holds the new year's resources once February has come.
    return ["--month", f"{today.year}-01"]


@dataclass(frozen=True)
class Job:
    name: str  # the systemd unit's instance name, and --once NAME
    command: str  # the management command
    schedule: Schedule
    description: str
    arguments: Callable[[datetime.date], list[str]] = field(default=_no_arguments)

    def argv(self, today: datetime.date) -> list[str]:
        return [self.command, *self.arguments(today)]


JOBS: tuple[Job, ...] = (
    Job(
        "publish_scheduled",
        "publish_scheduled",
        Schedule(),
        "every minute: publish and unpublish the pages scheduled in the admin",
    ),
    Job(
        "retry_quotients",
        "retry_quotients",
        Schedule(minute=5),
        "every hour at :05: ask API Particulier again for the QFs it could not give",
    ),
    Job(
        "purge_wizard_uploads",
        "purge_wizard_uploads",
        Schedule(minute=20),
        "every hour at :20: delete the files of abandoned enrolment wizards",
    ),
    Job(
        "purge_personal_data",
        "purge_personal_data",
        Schedule(minute=30, hour=3),
        "every night at 03:30: delete personal data past its retention",
    ),
    Job(
        "check_online_payments",
        "check_online_payments",
        Schedule(minute=45, hour=4),
        "every night at 04:45: ask PayFiP again about online payments still waiting",
    ),
    Job(
        "collect_direct_debits",
        "collect_direct_debits",
        Schedule(minute=50, hour=4),
        "every night at 04:50: record as paid the direct debits whose date has come",
    ),
    Job(
        "issue_tax_certificates",
        "issue_tax_certificates",
        Schedule(minute=0, hour=3, day=15, month=1),
        "every 15 January at 03:00: the tax certificates for childcare costs of the "
        "year before, for every family concerned",
    ),
    Job(
        "send_payment_reminders",
        "send_payment_reminders",
        Schedule(minute=15, hour=9),
        "every day at 09:15: e-mail the reminders of unpaid invoices due that day",
    ),
    Job(
        "refresh_quotients",
        "refresh_quotients",
        Schedule(minute=0, hour=2, day=15, month=2),
        "every 15 February at 02:00: the yearly QF campaign (January's QF)",
        _campaign_month,
    ),
)


def job(name: str) -> Job:
    for candidate in JOBS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def due(moment: datetime.datetime) -> list[Job]:
    return [job for job in JOBS if job.schedule.is_due(moment)]
