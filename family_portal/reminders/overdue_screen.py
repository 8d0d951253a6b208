"""The agents' screen of overdue invoices: per régie, each invoice past its due date with
something left to pay, the reminders sent, what exempts it; filters and a CSV export."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from family_portal.billing.models import Regie

from . import owed
from .models import Reminder

EXEMPTIONS = {
    "debit": "Prélèvement en cours",
    "credit": "Couverte par un avoir de la famille",
}


class OverdueFilter(forms.Form):
    regie = forms.ModelChoiceField(
        label="Régie",
        queryset=Regie.objects.all(),
        required=False,
        empty_label="Toutes les régies",
    )
    reminders = forms.ChoiceField(
        label="Relances envoyées",
        required=False,
        choices=[
            ("", "Toutes"),
            ("0", "Aucune"),
            ("1", "Première seulement"),
            ("2", "Les deux"),
        ],
    )
    search = forms.CharField(
        label="Famille ou n° de facture", required=False, max_length=100
    )


def overdue_invoices(today: datetime.date, filters: dict | None = None):
    filters = filters or {}
    invoices = (
        owed.overdue(today)
        .select_related("family", "regie")
        .prefetch_related(
            Prefetch("reminders", queryset=Reminder.objects.order_by("level"))
        )
        .annotate(reminder_count=Count("reminders"))
        .order_by("regie__name", "due_date", "number")
    )
    if filters.get("regie"):
        invoices = invoices.filter(regie=filters["regie"])
    if filters.get("reminders") not in (None, ""):
        invoices = invoices.filter(reminder_count=int(filters["reminders"]))
    search = (filters.get("search") or "").strip()
    if search:
        invoices = invoices.filter(
            Q(family__name__icontains=search) | Q(number__icontains=search)
        )
    return invoices


def overdue_count(today: datetime.date | None = None) -> int:
    return owed.overdue(today or timezone.localdate()).count()


@dataclass
class RegieGroup:
    regie: Regie
    rows: list = field(default_factory=list)

    @property
    def left(self) -> Decimal:
        return sum((invoice.left for invoice in self.rows), owed.ZERO)


def rows_for(invoices, today: datetime.date) -> list:
    """The invoices, each with its days late and what exempts it."""
    invoices = list(invoices)
    exempt = owed.exemptions(invoices)
    for invoice in invoices:
        invoice.days_late = (today - invoice.due_date).days
        invoice.exemption = EXEMPTIONS.get(exempt.get(invoice.pk), "")
        invoice.sent = list(invoice.reminders.all())
    return invoices


def grouped(rows) -> list[RegieGroup]:
    groups: dict[int, RegieGroup] = {}
    for invoice in rows:
        groups.setdefault(invoice.regie_id, RegieGroup(invoice.regie)).rows.append(
            invoice
        )
    return list(groups.values())


CSV_COLUMNS = [
    "regie",
    "numero",
    "famille_id",
    "famille",
    "date_emission",
    "date_echeance",
    "jours_de_retard",
    "montant",
    "reste_a_payer",
    "relance_1",
    "relance_2",
    "remarque",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> str:
    # A spreadsheet opening the CSV would run "=HYPERLINK(…)" typed in a family's name.
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _sent(reminder) -> str:
    if reminder is None:
        return ""
    day = timezone.localdate(reminder.sent_at).isoformat()
    return day if reminder.delivered else f"{day} (sans adresse)"


def to_csv(rows) -> str:
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for invoice in rows:
        by_level = {reminder.level: reminder for reminder in invoice.sent}
        writer.writerow(
            [
                _text(invoice.regie.name),
                _text(invoice.number),
                invoice.family_id,
                _text(invoice.family.name),
                invoice.issue_date.isoformat(),
                invoice.due_date.isoformat(),
                invoice.days_late,
                f"{invoice.total:.2f}",
                f"{invoice.left:.2f}",
                _sent(by_level.get(1)),
                _sent(by_level.get(2)),
                invoice.exemption,
            ]
        )
    return "\ufeff" + output.getvalue()
