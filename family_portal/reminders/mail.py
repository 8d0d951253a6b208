"""The reminder e-mail: French, plain text with an HTML part, signed by the commune like
the accounts' e-mails (templates/reminders/email/, on templates/account/email/'s base)."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from activities.pricing.formatting import format_money
from family_portal.certificates.content import commune_settings
from home.french import french_date
from home.site_url import absolute_url, site_root_url


def reminder_context(invoice, level: int, amount, commune=None) -> dict:
    commune = commune if commune is not None else commune_settings()
    name = getattr(commune, "name", "") or "la commune"
    return {
        "invoice": invoice,
        "level": level,
        "second": level == 2,
        "amount": format_money(amount),
        "total": format_money(invoice.total),
        "due_on": french_date(invoice.due_date) if invoice.due_date else "",
        "invoice_url": absolute_url(
            reverse("family_portal:billing:detail", args=[invoice.pk])
        ),
        "online": bool(invoice.regie.payfip_client_number),
        "commune": commune,
        "commune_name": name,
        "opening_hours": getattr(commune, "opening_hours", "").strip(),
        "site_url": site_root_url() + "/",
    }


def subject(context) -> str:
    kind = "Deuxième relance" if context["second"] else "Relance"
    return (
        f"[{context['commune_name']}] {kind} : facture n° "
        f"{context['invoice'].number} à régler"
    )


def reminder_message(
    invoice, level: int, amount, recipients, *, connection=None
) -> EmailMultiAlternatives:
    with translation.override("fr"):
        context = reminder_context(invoice, level, amount)
        text = render_to_string("reminders/email/reminder.txt", context)
        html = render_to_string("reminders/email/reminder.html", context)
    message = EmailMultiAlternatives(
        subject(context), text, to=list(recipients), connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message
