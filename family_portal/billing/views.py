"""The family's side: "Mes factures" (each invoice, its status, its PDF, the running
balance) and one invoice's lines grouped by child and service. A parent sees only the
invoices of their own family: any other is a 404."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.http import FileResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from wagtail import hooks

from family_portal.views import family_required
from home.ids import id_or_404

from . import documents
from .grouping import groups_of
from .models import Invoice, InvoiceStatus

ZERO = Decimal("0.00")

# The family's credit held by the app that keeps the money (payments answers:
# ``fn(family) -> Decimal``): what it paid beyond its invoices, or a credit note gave back.
FAMILY_CREDIT_HOOK = "billing_family_credit"


def family_credit(family) -> Decimal:
    return sum((answer(family) for answer in hooks.get_hooks(FAMILY_CREDIT_HOOK)), ZERO)


def family_invoices(family):
    return (
        Invoice.objects.filter(family=family)
        .select_related("regie", "credited_invoice")
        .annotate(credited_total=Sum("credit_notes__total"))
        .order_by("issue_date", "pk")
    )


def with_balance(invoices) -> tuple[list, Decimal]:
    """The invoices, oldest first, each with the account's balance after it; and the
    balance now. An invoice adds its amount, a credit note and a payment take off."""
    balance = ZERO
    rows = []
    today = timezone.localdate()
    for invoice in invoices:
        if invoice.credited_total is None:
            invoice.credited_total = ZERO
        if invoice.is_credit_note:
            balance -= invoice.total
        else:
            balance += invoice.total - invoice.paid_amount
        invoice.balance_after = balance
        invoice.status_code = invoice.status(today)
        invoice.status_text = InvoiceStatus(invoice.status_code).label
        rows.append(invoice)
    return rows, balance


@family_required
def invoice_list(request):
    rows, running = with_balance(family_invoices(request.family))
    credit = family_credit(request.family)
    return render(
        request,
        "billing/list.html",
        {
            "invoices": list(reversed(rows)),
            "balance": running - credit,
            "owed_to_family": credit - running,
            "credit": credit,
        },
    )


def _own(request, pk) -> Invoice:
    return get_object_or_404(family_invoices(request.family), pk=id_or_404(pk))


@family_required
def invoice_detail(request, pk):
    invoice = _own(request, pk)
    if invoice.credited_total is None:
        invoice.credited_total = ZERO
    return render(
        request,
        "billing/detail.html",
        {
            "invoice": invoice,
            "groups": groups_of(invoice),
            "status": invoice.status_label(),
            "status_code": invoice.status(),
            "outstanding": invoice.outstanding(),
            "credit_notes": invoice.credit_notes.order_by("issue_date", "pk"),
            "month": documents.month_label(invoice.month) if invoice.month else "",
        },
    )


@family_required
def invoice_pdf(request, pk):
    invoice = _own(request, pk)
    data = documents.pdf_of(invoice)
    response = FileResponse(
        iter([data]),
        content_type="application/pdf",
        filename=documents.filename(invoice),
    )
    response["Content-Disposition"] = (
        f'inline; filename="{documents.filename(invoice)}"'
    )
    response["Content-Length"] = str(len(data))
    return response
