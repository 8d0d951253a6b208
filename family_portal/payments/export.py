"""The accounting export of a régie's payments for a month: one CSV row per movement of
money (a payment's share of an invoice, its overpayment kept as credit, credit used on
an invoice, what a credit note gave back as credit, a cancellation), for the treasury's
software. See the README for its columns. The invoices' export is billing's
(``billing/export.py``); this one sits here because billing never imports payments."""

from __future__ import annotations

import csv
import io

from django.db.models import Q

from family_portal.billing.compute import month_bounds

from .models import Allocation

COLUMNS = [
    "date",
    "paiement_id",
    "numero_recu",
    "moyen",
    "reference",
    "date_reception",
    "famille_id",
    "famille",
    "mouvement",
    "facture",
    "montant",
    "avoir",
]


def rows(regie, month):
    """The month's movements: money received in it (by reception date), credit used in
    it, and cancellations made in it (by the day of the cancellation)."""
    first, last = month_bounds(month)
    movements = (
        Allocation.objects.filter(payment__regie=regie)
        .filter(
            Q(~Q(kind=Allocation.Kind.REVERSAL), on__gte=first, on__lte=last)
            | Q(
                kind=Allocation.Kind.REVERSAL,
                created_at__date__gte=first,
                created_at__date__lte=last,
            )
        )
        .select_related("payment__family", "invoice", "credit_note")
        .order_by("payment__received_on", "payment_id", "pk")
    )
    for row in movements:
        payment = row.payment
        day = row.on if row.kind != Allocation.Kind.REVERSAL else row.created_at.date()
        yield [
            day.isoformat(),
            payment.pk,
            payment.receipt_number,
            payment.get_method_display(),
            payment.reference,
            payment.received_on.isoformat(),
            payment.family_id,
            payment.family.name,
            row.get_kind_display(),
            row.invoice.number if row.invoice else "",
            f"{row.amount:.2f}",
            row.credit_note.number if row.credit_note else "",
        ]


def to_csv(regie, month) -> str:
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(regie, month))
    return "\ufeff" + output.getvalue()
