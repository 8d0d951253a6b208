"""Receipts (reçus) of counter payments as PDF, laid out the invoices' way (HTML + print
CSS by WeasyPrint, tagged PDF/UA-1, through ``certificates/rendering.py``): numbered when
the payment is recorded, laid out once on first download and kept. A cancelled payment's
receipt is laid out again each time, saying it is cancelled (the kept one does not)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation

from activities.pricing.formatting import format_money
from family_portal.certificates import rendering
from family_portal.certificates.content import commune_settings
from home.french import french_date

from .models import Payment

STYLESHEET = "billing/invoice.css"


def filename(payment: Payment) -> str:
    return f"recu-{payment.receipt_number}.pdf"


def receipt_context(payment: Payment, commune) -> dict:
    family = payment.family
    rows = [
        row
        for row in payment.allocations.select_related("invoice").order_by("pk")
        if row.kind in ("allocation", "credit")
    ]
    return {
        "payment": payment,
        "title": f"Reçu n° {payment.receipt_number}",
        "commune": commune,
        "author": getattr(commune, "name", "") or "Portail Famille",
        "family": family,
        "guardians": [str(guardian) for guardian in family.guardians.all()],
        "received_on": french_date(payment.received_on),
        "recorded_on": french_date(payment.recorded_at.date()),
        "amount": format_money(payment.amount),
        "rows": rows,
        "recorded_by": (
            payment.recorded_by.get_full_name() or payment.recorded_by.username
            if payment.recorded_by
            else ""
        ),
    }


def render_html(payment: Payment, commune=None) -> str:
    commune = commune or commune_settings()
    with translation.override("fr"):
        context = receipt_context(payment, commune)
        context["logo_url"] = rendering.logo_url(commune)
        return render_to_string("payments/receipt_pdf.html", context)


def lay_out(payment: Payment) -> bytes:
    return rendering.html_to_pdf(render_html(payment), stylesheet=STYLESHEET)


def pdf_of(payment: Payment) -> bytes:
    """The receipt's PDF; ValueError for a payment without receipt (online)."""
    if not payment.receipt_number:
        raise ValueError("This payment has no receipt.")
    if payment.is_reversed:
        return lay_out(payment)
    if payment.receipt_pdf:
        try:
            with payment.receipt_pdf.open("rb") as stored:
                return stored.read()
        except FileNotFoundError:  # a restored backup without its files
            Payment.objects.filter(pk=payment.pk).update(receipt_pdf="")
    data = lay_out(payment)
    field = payment.receipt_pdf
    name = field.storage.save(
        field.field.generate_filename(payment, filename(payment)), ContentFile(data)
    )
    if Payment.objects.filter(pk=payment.pk, receipt_pdf="").update(receipt_pdf=name):
        field.name = name
    else:  # another request stored it meanwhile
        field.storage.delete(name)
    return data
