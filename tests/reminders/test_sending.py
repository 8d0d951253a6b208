"""The reminders of an unpaid invoice: each level on its day, once, and never for an
invoice nothing is owed on."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail import hooks

from family_portal.billing.corrections import issue_credit_note
from family_portal.billing.models import Invoice
from family_portal.reminders import services
from family_portal.reminders.hooks import CREDIT_HOOK, DEBIT_HOOK
from family_portal.reminders.models import Reminder
from family_portal.reminders.services import send_reminders

from .conftest import at, day, make_invoice

pytestmark = pytest.mark.django_db


def levels(invoice):
    return list(
        Reminder.objects.filter(invoice=invoice)
        .order_by("level")
        .values_list("level", flat=True)
    )


def test_the_first_reminder_on_its_exact_day(invoice):
    assert send_reminders(at(day(14))) == {}
    assert levels(invoice) == []
    assert send_reminders(at(day(15))) == {"sent_1": 1}
    assert levels(invoice) == [1]
    assert send_reminders(at(day(16))) == {}
    assert len(mail.outbox) == 1


def test_the_first_reminder_on_a_later_day_when_the_job_missed_its_day(invoice):
    assert send_reminders(at(day(17))) == {"sent_1": 1}
    assert levels(invoice) == [1]


def test_the_second_reminder_on_its_exact_day(invoice):
    send_reminders(at(day(15)))
    assert send_reminders(at(day(29))) == {}
    assert send_reminders(at(day(30))) == {"sent_2": 1}
    assert send_reminders(at(day(31))) == {}
    assert levels(invoice) == [1, 2]
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == (
        "[Ville de Test] Deuxième relance : facture n° ENF-2026-000001 à régler"
    )


def test_a_late_first_reminder_keeps_the_delay_before_the_second(invoice):
    # The job did not run for 40 days: the first goes now, the second 15 days later.
    assert send_reminders(at(day(40))) == {"sent_1": 1}
    assert send_reminders(at(day(41))) == {}
    assert send_reminders(at(day(54))) == {}
    assert send_reminders(at(day(55))) == {"sent_2": 1}


def test_never_twice_whatever_the_runs(invoice):
    for offset in (15, 15, 15, 30, 30, 45, 90):
        send_reminders(at(day(offset)))
        send_reminders(at(day(offset), hour=18))
    assert levels(invoice) == [1, 2]
    assert len(mail.outbox) == 2
    assert services.send_reminder(invoice.pk, 1) == services.ALREADY
    assert len(mail.outbox) == 2


def test_the_row_says_when_and_to_whom(invoice):
    send_reminders(at(day(15)))
    reminder = Reminder.objects.get()
    assert reminder.recipients == "parent.giraud@example.org"
    assert reminder.amount_due == Decimal("42.50")
    assert reminder.sent_at == at(day(15))


def test_the_e_mail(invoice):
    invoice.paid_amount = Decimal("12.50")
    invoice.save()
    send_reminders(at(day(15)))
    [message] = mail.outbox
    assert message.to == ["parent.giraud@example.org"]
    assert message.subject == (
        "[Ville de Test] Relance : facture n° ENF-2026-000001 à régler"
    )
    text = message.body
    assert "facture n° ENF-2026-000001 (Régie enfance)" in text
    assert "Reste à payer : 30,00 €" in text
    assert "Montant de la facture : 42,50 €" in text
    assert "Date limite de paiement : 1er octobre 2026" in text
    assert "payer en ligne" in text
    assert f"/espace-famille/factures/{invoice.pk}/" in text
    assert "du lundi au vendredi, 8 h 30 – 12 h" in text
    assert "01 23 45 67 89" in text
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert '<html lang="fr">' in html
    assert "<strong>30,00 €</strong>" in html
    assert f"/espace-famille/factures/{invoice.pk}/" in html
    assert "Payer en ligne la facture n° ENF-2026-000001" in html


def test_without_online_payment_or_opening_hours(invoice, regie, commune):
    regie.payfip_client_number = ""
    regie.save()
    commune.opening_hours = ""
    commune.save()
    send_reminders(at(day(15)))
    text = mail.outbox[0].body
    assert "payer en ligne" not in text
    assert "au guichet du service famille." in text


def test_never_for_a_paid_invoice(invoice):
    invoice.paid_amount = invoice.total
    invoice.save()
    assert send_reminders(at(day(15))) == {}
    assert send_reminders(at(day(30))) == {}
    assert mail.outbox == []


def test_paid_between_the_two_levels(invoice):
    send_reminders(at(day(15)))
    Invoice.objects.filter(pk=invoice.pk).update(paid_amount=invoice.total)
    assert send_reminders(at(day(30))) == {}
    assert levels(invoice) == [1]


def test_never_for_a_credit_note_or_a_credited_invoice(invoice):
    note = issue_credit_note(invoice, invoice.total, "Erreur de facturation", user=None)
    Invoice.objects.filter(pk=note.pk).update(due_date=invoice.due_date)
    assert send_reminders(at(day(15))) == {}
    assert Reminder.objects.count() == 0


def test_a_partly_credited_invoice_is_reminded_of_what_is_left(invoice):
    issue_credit_note(invoice, Decimal("40.00"), "Absence justifiée", user=None)
    send_reminders(at(day(15)))
    assert Reminder.objects.get().amount_due == Decimal("2.50")
    assert "Reste à payer : 2,50 €" in mail.outbox[0].body


def test_never_when_a_credit_of_the_family_covers_it(invoice, family, regie):
    # An older invoice paid, then credited: the family holds 50 € at the régie.
    older = make_invoice(family, regie, 2, total="50.00", due=day(-60))
    older.paid_amount = older.total
    older.save()
    issue_credit_note(older, Decimal("50.00"), "Séjour annulé", user=None)
    assert send_reminders(at(day(15))) == {}
    # A second invoice: the credit covers one of them only (the older one).
    later = make_invoice(family, regie, 3, total="20.00", due=day(1))
    assert send_reminders(at(day(16))) == {"sent_1": 1}
    assert levels(later) == [1]
    assert levels(invoice) == []


def test_a_credit_at_another_regie_covers_nothing(invoice, family):
    other = type(invoice.regie).objects.create(name="Régie sport", code="SPO")
    older = make_invoice(family, other, 2, total="50.00", due=day(-60))
    older.paid_amount = older.total
    older.save()
    issue_credit_note(older, Decimal("50.00"), "Séjour annulé", user=None)
    assert send_reminders(at(day(15))) == {"sent_1": 1}


def test_the_credit_hook(invoice, family, regie):
    def credit(pairs):
        return {(family.pk, regie.pk): Decimal("42.50")}

    with hooks.register_temporarily(CREDIT_HOOK, credit):
        assert send_reminders(at(day(15))) == {}
    assert send_reminders(at(day(15))) == {"sent_1": 1}


def test_never_under_a_direct_debit_in_progress(invoice):
    with hooks.register_temporarily(DEBIT_HOOK, lambda invoices: {invoice.pk}):
        assert send_reminders(at(day(15))) == {}
    assert send_reminders(at(day(15))) == {"sent_1": 1}


def test_an_invoice_without_due_date_or_not_yet_due(commune, family, regie):
    make_invoice(family, regie, 1, due=None)
    make_invoice(family, regie, 2, due=day(10))
    assert send_reminders(at(day(15))) == {}


def test_a_family_without_address_is_recorded_not_sent(invoice, parent):
    parent.email = ""
    parent.save()
    assert send_reminders(at(day(15))) == {"no_address": 1}
    reminder = Reminder.objects.get()
    assert not reminder.delivered
    assert mail.outbox == []
    assert send_reminders(at(day(16))) == {}


def test_a_failed_send_is_tried_again(invoice, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send", broken, raising=True
    )
    assert send_reminders(at(day(15))) == {"failed": 1}
    assert Reminder.objects.count() == 0
    monkeypatch.undo()
    assert send_reminders(at(day(16))) == {"sent_1": 1}


def test_the_delays_come_from_the_settings(invoice, settings):
    settings.PAYMENT_REMINDER_FIRST_DAYS = 1
    settings.PAYMENT_REMINDER_SECOND_DAYS = 8
    assert send_reminders(at(day(0))) == {}
    assert send_reminders(at(day(1))) == {"sent_1": 1}
    assert send_reminders(at(day(7))) == {}
    assert send_reminders(at(day(8))) == {"sent_2": 1}


def test_the_command(invoice, monkeypatch, capsys):
    monkeypatch.setattr(
        services.timezone, "now", lambda: at(day(15)).astimezone(datetime.UTC)
    )
    call_command("send_payment_reminders")
    assert "payment reminders: sent_1: 1" in capsys.readouterr().out
    call_command("send_payment_reminders")
    assert "none due" in capsys.readouterr().out


def test_the_command_fails_when_a_send_fails(invoice, monkeypatch):
    monkeypatch.setattr(
        services.timezone, "now", lambda: at(day(15)).astimezone(datetime.UTC)
    )

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    with pytest.raises(CommandError, match="could not be sent"):
        call_command("send_payment_reminders")
