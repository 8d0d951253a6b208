"""The accounting export of a régie's month: one CSV row per invoice and service (and
per credit note), for the treasury's software. See the README for its columns."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

from .compute import month_bounds
from .models import Invoice, InvoiceLine

COLUMNS = [
    "numero",
    "type",
    "date_emission",
    "mois_facture",
    "facture_annulee",
    "famille_id",
    "famille",
    "service",
    "montant",
    "montant_paye",
]


def rows(regie, month):
    """Invoices of the month, and credit notes issued during it, by service."""
    first, last = month_bounds(month)
    invoices = Invoice.objects.filter(regie=regie).filter(
        kind=Invoice.Kind.INVOICE, month=first
    ) | Invoice.objects.filter(
        regie=regie, kind=Invoice.Kind.CREDIT_NOTE, issue_date__range=(first, last)
    )
    invoices = list(
        invoices.select_related("family", "credited_invoice").order_by("kind", "number")
    )
    amounts: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for invoice_id, service, amount in InvoiceLine.objects.filter(
        invoice__in=[i.pk for i in invoices]
    ).values_list("invoice_id", "activity__title", "amount"):
        amounts[invoice_id][service or "Autres lignes"] += amount
    for invoice in invoices:
        sign = -1 if invoice.is_credit_note else 1
        services = amounts[invoice.pk] or {"Autres lignes": invoice.total}
        for position, (service, amount) in enumerate(sorted(services.items())):
            yield [
                invoice.number,
                invoice.get_kind_display(),
                invoice.issue_date.isoformat(),
                invoice.month.strftime("%Y-%m") if invoice.month else "",
                invoice.credited_invoice.number if invoice.credited_invoice else "",
                invoice.family_id,
                invoice.family.name,
                service,
                f"{sign * amount:.2f}",
                f"{invoice.paid_amount:.2f}" if position == 0 else "",
            ]


def to_csv(regie, month) -> str:
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(regie, month))
    return "\ufeff" + output.getvalue()
