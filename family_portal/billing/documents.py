"""Invoices as PDF and e-mail: laid out once, in the background, the certificates' way
(HTML + print CSS by WeasyPrint, tagged PDF/UA-1, our own fonts, nothing fetched), then
sent to the family's accounts with the PDF attached."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from activities.pricing.formatting import format_money
from family_portal.certificates import rendering
from family_portal.certificates.content import commune_settings
from home.french import french_date
from home.site_url import absolute_url

from .compute import month_label
from .grouping import groups_of
from .models import Invoice, InvoiceLine

logger = logging.getLogger(__name__)

STYLESHEET = "billing/invoice.css"


def title(invoice: Invoice) -> str:
    if invoice.is_credit_note:
        return f"Avoir {invoice.number}"
    return f"Facture {invoice.number} — {month_label(invoice.month)}"


def filename(invoice: Invoice) -> str:
    kind = "avoir" if invoice.is_credit_note else "facture"
    return f"{kind}-{invoice.number}.pdf"


def portal_url() -> str:
    return absolute_url(reverse("family_portal:billing:list"))


def summary_context(invoice: Invoice, commune, *, portal=None) -> dict:
    """What the PDF and the e-mail both say: title, dates, total, where to pay."""
    return {
        "invoice": invoice,
        "title": title(invoice),
        "commune": commune,
        "author": getattr(commune, "name", "") or "Portail Famille",
        "family": invoice.family,
        "issued_on": french_date(invoice.issue_date),
        "due_on": french_date(invoice.due_date) if invoice.due_date else "",
        "month": month_label(invoice.month) if invoice.month else "",
        "total": format_money(invoice.total),
        "portal_url": portal or portal_url(),
        "credited": invoice.credited_invoice,
    }


def invoice_context(invoice: Invoice, commune, *, portal=None, rules=None) -> dict:
    """The PDF's: the summary, the family's guardians and the lines in groups.
    ``portal`` and ``rules`` (the rules documents read so far) are shared by a batch."""
    return {
        **summary_context(invoice, commune, portal=portal),
        "groups": groups_of(invoice, rules),
        "guardians": [str(guardian) for guardian in invoice.family.guardians.all()],
    }


def render_html(invoice: Invoice, commune, logo=None, **shared) -> str:
    with translation.override("fr"):
        context = invoice_context(invoice, commune, **shared)
        context["logo_url"] = logo if logo is not None else rendering.logo_url(commune)
        return render_to_string("billing/pdf.html", context)


def _invoices(ids):
    """The invoices with what their PDFs and e-mails read: their lines, the family's
    guardians and accounts, a few queries for the whole batch (seven an invoice
    before)."""
    lines = InvoiceLine.objects.select_related("child", "section").order_by(
        "position", "pk"
    )
    return list(
        Invoice.objects.filter(pk__in=ids)
        .select_related("family", "regie", "credited_invoice")
        .prefetch_related(
            Prefetch("lines", queryset=lines), "family__guardians", "family__users"
        )
        .order_by("pk")
    )


def lay_out(invoices, *, commune=None, workers=None) -> int:
    """Lay out the PDFs of the invoices that have none and keep them; returns how many
    were laid out. An invoice's PDF never changes. Many are laid out in parallel worker
    processes unless ``workers`` is 1 (a ``db_worker``'s task: the workers themselves
    share the run)."""
    missing = [invoice for invoice in invoices if not invoice.pdf]
    if not missing:
        return 0
    commune = commune or commune_settings()
    logo = rendering.logo_url(commune)
    # Built as the workers take them: the workers lay out while the next are built.
    shared = {"portal": portal_url(), "rules": {}}
    htmls = (render_html(invoice, commune, logo, **shared) for invoice in missing)
    pdfs = rendering.render_pages(
        htmls, stylesheet=STYLESHEET, logo=logo, workers=workers
    )
    for invoice, data in zip(missing, pdfs, strict=True):
        store_pdf(invoice, data)
    return len(missing)


def store_pdf(invoice: Invoice, data: bytes) -> None:
    """Keep the PDF, unless another worker stored one meanwhile."""
    field = invoice.pdf
    name = field.storage.save(
        field.field.generate_filename(invoice, filename(invoice)), ContentFile(data)
    )
    if Invoice.objects.filter(pk=invoice.pk, pdf="").update(pdf=name):
        field.name = name
    else:
        field.storage.delete(name)
        invoice.refresh_from_db(fields=["pdf"])


def pdf_of(invoice: Invoice) -> bytes:
    """The invoice's PDF: read from its file, laid out first if it has none yet."""
    if not invoice.pdf:
        lay_out([invoice])
    try:
        with invoice.pdf.open("rb") as stored:
            return stored.read()
    except FileNotFoundError:  # a restored backup without its files
        Invoice.objects.filter(pk=invoice.pk).update(pdf="")
        invoice.pdf.name = ""
        lay_out([invoice])
        with invoice.pdf.open("rb") as stored:
            return stored.read()


def send(invoice: Invoice) -> bool:
    """E-mail the invoice to the family's accounts, once; False when nobody has an
    address (the agent's run report says so)."""
    if invoice.emailed_at is not None:
        return False
    recipients = [user.email for user in invoice.family.users.all() if user.email]
    if not recipients:
        return False
    context = summary_context(invoice, commune_settings())
    with translation.override("fr"):
        subject = render_to_string("billing/email/subject.txt", context).strip()
        body = render_to_string("billing/email/body.txt", context)
    message = EmailMessage(subject, body, to=recipients)
    message.attach(filename(invoice), pdf_of(invoice), "application/pdf")
    message.send()
    return bool(
        Invoice.objects.filter(pk=invoice.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
    )


def lay_out_and_send(invoice_ids, *, workers=None) -> int:
    invoices = _invoices(invoice_ids)
    count = lay_out(invoices, workers=workers)
    for invoice in invoices:
        try:
            send(invoice)
        except Exception:  # noqa: BLE001 - one bad address must not stop the others
            logger.exception("Invoice %s could not be e-mailed", invoice.number)
    return count
