"""``{% direct_debit_notice invoice %}`` (the invoice page, its PDF and e-mail): the one
place other apps' templates name direct debit (the account page gets the mandate through
payments' ACCOUNT_SECTION_HOOK, in wagtail_hooks.py)."""

from django import template

from ..notices import notice

register = template.Library()


@register.simple_tag
def direct_debit_notice(invoice) -> str:
    """Plain text (autoescaped by the template)."""
    return notice(invoice)
