"""``{% online_payment invoice %}``: the invoice page's "Payer en ligne" box."""

from django import template

from ..services import online_refusal, pending_operation

register = template.Library()


@register.inclusion_tag("payments/online_payment.html", takes_context=True)
def online_payment(context, invoice):
    payable = (
        not invoice.is_credit_note
        and invoice.outstanding() > 0
        and bool(invoice.regie.payfip_client_number)
    )
    pending = pending_operation(invoice) if payable else None
    if payable and pending is None and online_refusal(invoice):
        payable = False  # the direct debit takes it: its notice says when
    return {
        "invoice": invoice,
        "payable": payable,
        "pending": pending,
        "csrf_token": context.get("csrf_token"),
    }
