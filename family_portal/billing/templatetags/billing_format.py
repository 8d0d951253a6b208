"""French amounts and quantities for the invoices' pages and PDFs."""

from decimal import Decimal

from django import template

from activities.pricing.formatting import format_money, format_number

register = template.Library()


@register.filter
def money(value) -> str:
    return format_money(Decimal(value))


@register.filter
def quantity(value) -> str:
    value = Decimal(value)
    return format_number(
        value.to_integral() if value == value.to_integral() else value.normalize()
    )
