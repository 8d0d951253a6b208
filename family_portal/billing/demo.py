"""The billing demo: the "Régie enfance", the canteen's billing rules, and last month's
invoice of the demo family (Léa booked every lunch of the month and was ticked present).
Idempotent."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from activities.models import ActivityPage
from family_portal import enrolment as enrolment_services
from family_portal.attendance.models import Mark
from family_portal.bookings.models import Booking, ServiceSchedule, ServiceSession
from family_portal.demo import DEMO_PARENT
from family_portal.models import Enrolment, Family

from . import runs, tasks
from .compute import month_bounds, previous_month
from .models import Regie, ServiceRules

CANTEEN = "restauration-scolaire"


@transaction.atomic
def load_billing_demo(commune, today: datetime.date | None = None):
    """Returns the demo family's invoice of last month, or None when last month is out
    of the canteen's school year (July, August)."""
    today = today or timezone.localdate()
    page = ActivityPage.objects.filter(slug=CANTEEN).first()
    if page is None:
        return None
    regie, _ = Regie.objects.get_or_create(
        code="ENF",
        defaults={"name": "Régie enfance", "payfip_client_number": ""},
    )
    rules = ServiceRules.objects.filter(activity=page).first()
    if rules is None:
        rules = ServiceRules(
            activity=page,
            regie=regie,
            slug="cantine-demo",
            label="Restauration scolaire",
            deliberation_reference="2025-041",
            deliberation_date=datetime.date(2025, 6, 30),
            unbooked_present_value="1.5",
            justified_waiting_days=1,
            minimum_invoice="5.00",
        )
        rules.save()
        rules.record_version()
    month = previous_month(today)
    first, last = month_bounds(month)
    period = page.periods.filter(start__lte=last, end__gte=first).first()
    if period is None:
        return None
    session = _lunch(period)
    family = Family.objects.filter(users__username=DEMO_PARENT.username).first()
    child = family.children.filter(first_name="Léa").first() if family else None
    if child is None:
        return None
    enrolment = Enrolment.objects.filter(child=child, period=period).first()
    if enrolment is None:
        (enrolment,) = enrolment_services.confirm(
            family,
            commune,
            period,
            [child],
            enrolment_services.QfChoice(Enrolment.QfSource.NONE, None),
        )
    if enrolment.status == Enrolment.Status.WAITING:
        return None
    day = max(first, period.start)
    booked_at = timezone.make_aware(datetime.datetime.combine(first, datetime.time(8)))
    while day <= min(last, period.end):
        if day.weekday() in session.schedule.weekdays:
            Booking.objects.get_or_create(
                enrolment=enrolment,
                session=session,
                date=day,
                defaults={"status": Booking.Status.BOOKED, "booked_at": booked_at},
            )
            Mark.objects.get_or_create(
                enrolment=enrolment,
                session=session,
                date=day,
                defaults={"status": Mark.Status.PRESENT},
            )
        day += datetime.timedelta(days=1)
    run = runs.start_run(regie, month, dry_run=False, today=today)
    issued = []
    for batch in runs.pending_batches(run):
        issued += runs.process_batch(batch)
    tasks.lay_out_on_commit(issued)
    return family.invoices.filter(month=month).first()


def _lunch(period) -> ServiceSession:
    schedule, created = ServiceSchedule.objects.get_or_create(period=period)
    if created or not schedule.sessions.exists():
        ServiceSession.objects.create(
            schedule=schedule,
            name="Déjeuner",
            starts=datetime.time(11, 45),
            ends=datetime.time(13, 30),
        )
    return schedule.sessions.order_by("sort_order", "pk").first()
