"""The family's account page ("Mon compte"): what it owes, its credit, its payments with
their receipts and how each was spread over invoices; and its receipts as PDF. A parent
sees only their own family's: any other receipt is a 404.

Other apps add a section to the page (the SEPA mandate, by the direct-debit app) through
the Wagtail hook ``ACCOUNT_SECTION_HOOK``: a function ``(request, family)`` returning
HTML (a ``<section>`` with its own heading) or ``None``; sections show under "Prélèvement
automatique", in hook order.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from wagtail import hooks

from family_portal.billing.models import Invoice
from family_portal.views import family_required
from home.ids import id_or_404

from . import receipts
from .models import Allocation, Payment
from .services import credit_of

ACCOUNT_SECTION_HOOK = "family_account_section"
ZERO = Decimal("0.00")


def extra_sections(request, family) -> list:
    sections = []
    for section in hooks.get_hooks(ACCOUNT_SECTION_HOOK):
        html = section(request, family)
        if html:
            sections.append(html)
    return sections


@family_required
def account(request):
    family = request.family
    invoices = list(
        Invoice.objects.filter(family=family, kind=Invoice.Kind.INVOICE)
        .select_related("regie")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related(
                    "payment", "credit_note"
                ).order_by("on", "pk"),
            )
        )
        .order_by("-issue_date", "-pk")[:24]
    )
    owed = sum(
        (
            invoice.outstanding()
            for invoice in Invoice.objects.filter(
                family=family, kind=Invoice.Kind.INVOICE
            )
        ),
        ZERO,
    )
    credit = credit_of(family)
    payments = (
        Payment.objects.filter(family=family)
        .select_related("regie")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related("invoice", "credit_note")
                .exclude(kind=Allocation.Kind.REVERSAL)
                .order_by("pk"),
            )
        )[:50]
    )
    for invoice in invoices:
        invoice.rows = list(invoice.allocations.all())
    return render(
        request,
        "payments/account.html",
        {
            "family": family,
            "owed": owed,
            "credit": credit,
            "balance": owed - credit,
            "invoices": invoices,
            "payments": payments,
            "extra_sections": extra_sections(request, family),
        },
    )


@family_required
def receipt(request, pk):
    payment = get_object_or_404(
        Payment.objects.filter(family=request.family).exclude(receipt_number=""),
        pk=id_or_404(pk),
    )
    response = HttpResponse(receipts.pdf_of(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipts.filename(payment)}"'
    return response
