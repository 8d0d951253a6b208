"""Twenty régies invoice their month at once on PostgreSQL, two workers each sharing the
run's batches (as db_worker processes do): every régie's numbers run from 1 without a gap
or a duplicate, each family is invoiced once, and every run finishes."""

import datetime
import queue
import re

import pytest
from django.utils import timezone

from activities.models import ActivityPage
from family_portal.billing import runs
from family_portal.billing.models import BillingRun, Invoice, Regie
from family_portal.bookings.models import Booking, ServiceSchedule, ServiceSession
from tests.billing.conftest import after, make_rules, september, service_days
from tests.family_portal.backoffice_support import enrol
from tests.family_portal.factories import ChildFactory, FamilyFactory
from tests.load.test_enrolment_concurrency import run_together

from .conftest import canteen  # noqa: F401 - a fixture, used by name

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REGIES = 20
FAMILIES = 4
WORKERS_PER_RUN = 2


@pytest.fixture
def services(canteen, home_page):  # noqa: F811
    from home.models import CommuneSettings
    from tests.activities.factories import ActivityPageFactory

    commune = CommuneSettings.for_site(home_page.get_site())
    bareme = canteen.bareme_links.first().bareme
    month = september()
    regies = []
    for index in range(REGIES):
        regie = Regie.objects.create(name=f"Régie {index}", code=f"R{index:02d}")
        page = ActivityPageFactory(
            parent=canteen.get_parent(), title=f"Service {index}", baremes=[bareme]
        )
        page = ActivityPage.objects.get(pk=page.pk)
        make_rules(page, regie)
        period = page.periods.get()
        schedule = ServiceSchedule.objects.create(period=period)
        session = ServiceSession.objects.create(
            schedule=schedule,
            name="Journée",
            starts=datetime.time(9),
            ends=datetime.time(17),
        )
        now = timezone.now()
        for number in range(FAMILIES):
            family = FamilyFactory(name=f"Famille {index}-{number}")
            ChildFactory(family=family)
            for item in enrol(family, commune, period):
                Booking.objects.bulk_create(
                    Booking(
                        enrolment=item,
                        session=session,
                        date=day,
                        status="booked",
                        booked_at=now,
                    )
                    for day in list(service_days(month))[:4]
                )
        regies.append(regie)
    return regies


def test_twenty_concurrent_runs_number_without_gap(services, monkeypatch):
    monkeypatch.setattr(runs, "BATCH_SIZE", 1)
    month = september()
    started = [
        runs.start_run(regie, month, dry_run=False, today=after(month))
        for regie in services
    ]
    work = queue.Queue()
    for run in started:
        for pk in runs.pending_batches(run):
            work.put(pk)

    def worker():
        done = 0
        while True:
            try:
                pk = work.get_nowait()
            except queue.Empty:
                return done
            runs.process_batch(pk)
            done += 1

    processed = run_together([worker] * (REGIES * WORKERS_PER_RUN))
    assert sum(processed) == REGIES * FAMILIES
    for regie in services:
        numbers = list(
            Invoice.objects.filter(regie=regie).values_list("number", flat=True)
        )
        sequence = sorted(int(re.search(r"(\d+)$", n)[1]) for n in numbers)
        assert sequence == list(range(1, FAMILIES + 1)), (regie.code, numbers)
        assert all(n.startswith(f"{regie.code}-") for n in numbers)
    assert Invoice.objects.values("family").distinct().count() == REGIES * FAMILIES
    assert set(BillingRun.objects.values_list("status", flat=True)) == {"done"}
    # The same batches again, concurrently: nothing more is issued.
    again = [
        (lambda pk=pk: runs.process_batch(pk))
        for run in started
        for pk in run.batches.values_list("pk", flat=True)
    ]
    assert all(result == [] for result in run_together(again))
    assert Invoice.objects.count() == REGIES * FAMILIES
