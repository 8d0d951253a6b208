"""``{% online_payment invoice %}``: the invoice page's "Payer en ligne" box."""

from django import template

from ..services import pending_operation

register = template.Library()


@register.inclusion_tag("payments/online_payment.html", takes_context=True)
def online_payment(context, invoice):
    payable = (
        not invoice.is_credit_note
        and invoice.outstanding() > 0
        and bool(invoice.regie.payfip_client_number)
    )
    return {
        "invoice": invoice,
        "payable": payable,
        "pending": pending_operation(invoice) if payable else None,
        "csrf_token": context.get("csrf_token"),
    }
