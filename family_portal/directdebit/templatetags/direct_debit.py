"""``{% direct_debit_notice invoice %}`` (the invoice page, its PDF and e-mail) and
``{% direct_debit_short invoice %}`` ("Mes factures"): the only places other apps'
templates name direct debit (the account page gets the mandate through payments'
ACCOUNT_SECTION_HOOK, in wagtail_hooks.py)."""

from django import template

from ..notices import notice, short_notice

register = template.Library()


@register.simple_tag
def direct_debit_notice(invoice) -> str:
    """Plain text (autoescaped by the template)."""
    return notice(invoice)


@register.simple_tag
def direct_debit_short(invoice) -> str:
    """A few words (plain text) when the debit takes or took the invoice."""
    return short_notice(invoice)
