"""Tablets sending at once, on the real PostgreSQL of `make test`: eight batches over the
same children, some taps sent by two tablets' retries at the same instant. Each tap id is
recorded once, and each child's mark holds the latest tap, whatever order they landed in."""

import datetime
import random

import pytest

from family_portal.attendance.models import Mark, Tap
from family_portal.attendance.taps import record_taps
from tests.attendance.conftest import tap
from tests.load.test_enrolment_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_batches_keep_the_latest_tap_once_each(
    site, animateur, enrolments, lunch, day, now, booked
):
    rng = random.Random(17)
    # Distinct times per child and field, so that "the latest" is one tap.
    times = {
        (enrolment.pk, field): rng.sample(range(1, 600_000), 8)
        for enrolment in enrolments.values()
        for field in ("status", "departure")
    }
    batches = []
    for number in range(8):
        batch = []
        for enrolment in enrolments.values():
            for field, values in (
                ("status", ["present", "absent"]),
                ("departure", ["13:30", "13:45", "14:00"]),
            ):
                milliseconds = times[(enrolment.pk, field)][number]
                at = now - datetime.timedelta(milliseconds=milliseconds)
                batch.append(
                    tap(site, enrolment, lunch, day, field, rng.choice(values), at=at)
                )
        batches.append(batch)
    batches.append(list(batches[0]))  # a retry of the first batch, at the same time
    run_together([lambda b=b: record_taps(animateur, b, now=now) for b in batches])

    every = [t for b in batches[:-1] for t in b]
    assert Tap.objects.count() == len(every)
    assert Mark.objects.count() == len(enrolments)
    for enrolment in enrolments.values():
        mark = Mark.objects.get(enrolment=enrolment)
        for field in ("status", "departure"):
            latest = max(
                (
                    t
                    for t in every
                    if t["enrolment"] == enrolment.pk and t["field"] == field
                ),
                key=lambda t: datetime.datetime.fromisoformat(t["at"]),
            )
            value = getattr(mark, field)
            shown = (
                value.strftime("%H:%M") if isinstance(value, datetime.time) else value
            )
            assert shown == latest["value"], (enrolment.child.first_name, field)
