"""``{% direct_debit_notice invoice %}`` (the invoice page, its PDF and e-mail) and
``{% mandate_summary family %}`` (the family's pages): the one place other apps'
templates name direct debit."""

from django import template

from ..mandates import active_mandate, offered
from ..notices import notice

register = template.Library()


@register.simple_tag
def direct_debit_notice(invoice) -> str:
    """Plain text (autoescaped by the template)."""
    return notice(invoice)


@register.inclusion_tag("directdebit/summary.html")
def mandate_summary(family):
    return {"offered": offered(), "mandate": active_mandate(family)}
