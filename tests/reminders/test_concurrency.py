"""On PostgreSQL, two jobs at once (two workers, a timer and an agent's hand): each
reminder is sent and recorded once."""

import pytest
from django.core import mail

from family_portal.reminders.models import Reminder
from family_portal.reminders.services import send_reminders
from tests.factories import UserFactory
from tests.family_portal.factories import FamilyFactory
from tests.load.test_enrolment_concurrency import run_together

from .conftest import at, day, make_invoice

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

INVOICES = 12


@pytest.fixture
def invoices(commune, regie):
    return [
        make_invoice(
            FamilyFactory(users=[UserFactory(email=f"parent{n}@example.org")]),
            regie,
            n,
        )
        for n in range(INVOICES)
    ]


@pytest.mark.parametrize("offset", [15, 30])
def test_two_jobs_at_once_send_each_reminder_once(invoices, offset):
    if offset == 30:
        send_reminders(at(day(15)))
        mail.outbox.clear()
    level = 1 if offset == 15 else 2
    results = run_together([lambda: send_reminders(at(day(offset)))] * 3)
    assert sum(result.get(f"sent_{level}", 0) for result in results) == INVOICES
    assert Reminder.objects.filter(level=level).count() == INVOICES
    assert len(mail.outbox) == INVOICES
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        f"parent{n}@example.org" for n in range(INVOICES)
    )
