"""Sending the reminders: the nightly ``send_payment_reminders`` job.

An invoice with something left to pay gets the first reminder ``PAYMENT_REMINDER_FIRST_DAYS``
after its due date and the second ``PAYMENT_REMINDER_SECOND_DAYS`` after it (never sooner
after the first than the two settings' difference: a job that missed days catches up one
level a day at most). Never a credit note, a paid or credited invoice, one under a direct
debit in progress or one a credit of the family covers (``owed.exemptions``).

Each reminder is sent in one transaction that locks the invoice, checks again that the
level was not sent and that something is owed, writes its ``Reminder`` row (unique per
invoice and level) and sends the e-mail: two jobs at once send it once; a failed send
rolls the row back and the next run tries again.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from family_portal.backoffice.mail import family_recipients
from family_portal.billing.models import Invoice

from . import owed
from .mail import reminder_message
from .models import Reminder

LOGGER = logging.getLogger("family_portal.reminders")

SENT = "sent"
NO_ADDRESS = "no_address"
ALREADY = "already_sent"
SETTLED = "settled"
FAILED = "failed"


@dataclass(frozen=True)
class Delays:
    first: int
    second: int


def delays() -> Delays:
    return Delays(
        settings.PAYMENT_REMINDER_FIRST_DAYS, settings.PAYMENT_REMINDER_SECOND_DAYS
    )


def due_level(
    due_date: datetime.date,
    sent: dict[int, datetime.date],
    today: datetime.date,
    delays: Delays,
) -> int | None:
    """The level to send today, given the days each level was sent; None: nothing."""
    if Reminder.Level.FIRST not in sent:
        if today >= due_date + datetime.timedelta(days=delays.first):
            return Reminder.Level.FIRST
        return None
    if Reminder.Level.SECOND not in sent:
        earliest = max(
            due_date + datetime.timedelta(days=delays.second),
            sent[Reminder.Level.FIRST]
            + datetime.timedelta(days=delays.second - delays.first),
        )
        if today >= earliest:
            return Reminder.Level.SECOND
    return None


def sent_days(invoice) -> dict[int, datetime.date]:
    return {
        reminder.level: timezone.localdate(reminder.sent_at)
        for reminder in invoice.reminders.all()
    }


def to_send(today: datetime.date) -> list[tuple[Invoice, int]]:
    """Each invoice due a reminder today, with its level."""
    chosen = delays()
    invoices = list(
        owed.overdue(today)
        .filter(due_date__lte=today - datetime.timedelta(days=chosen.first))
        .select_related("family", "regie")
        .prefetch_related("reminders")
        .order_by("due_date", "pk")
    )
    exempt = owed.exemptions(invoices)
    found = []
    for invoice in invoices:
        if invoice.pk in exempt:
            continue
        level = due_level(invoice.due_date, sent_days(invoice), today, chosen)
        if level is not None:
            found.append((invoice, level))
    return found


def send_reminder(invoice_id: int, level: int, *, now=None, connection=None) -> str:
    """Send one reminder, at most once whoever else tries at the same moment."""
    now = now or timezone.now()
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("family", "regie")
            .get(pk=invoice_id)
        )
        if Reminder.objects.filter(invoice=invoice, level=level).exists():
            return ALREADY
        amount = invoice.outstanding()
        if invoice.is_credit_note or amount <= 0:
            return SETTLED
        recipients = family_recipients(invoice.family)
        try:
            with transaction.atomic():
                Reminder.objects.create(
                    invoice=invoice,
                    level=level,
                    sent_at=now,
                    recipients=", ".join(recipients),
                    amount_due=amount,
                )
        except IntegrityError:  # sent meanwhile by a job that did not lock
            return ALREADY
        if not recipients:
            LOGGER.warning("invoice %s: no address for reminder %s", invoice.pk, level)
            return NO_ADDRESS
        reminder_message(
            invoice, level, amount, recipients, connection=connection
        ).send()
    return SENT


def send_reminders(now: datetime.datetime | None = None) -> Counter:
    """The job: every reminder due today; returns how many of each outcome."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts: Counter = Counter()
    work = to_send(today)
    if not work:
        return counts
    with get_connection() as connection:
        for invoice, level in work:
            try:
                outcome = send_reminder(
                    invoice.pk, level, now=now, connection=connection
                )
            except Exception:  # noqa: BLE001 - one bad address must not stop the rest
                LOGGER.exception(
                    "reminder %s of invoice %s could not be sent", level, invoice.pk
                )
                outcome = FAILED
            counts[f"{outcome}_{level}" if outcome == SENT else outcome] += 1
    return counts
