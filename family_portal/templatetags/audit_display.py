"""The audit trail in French in templates: {{ change.before|price_state }},
{{ action.after|audit_values }} (family_portal/backoffice/audit.py)."""

from django import template

from family_portal.backoffice.audit import describe, price_state

register = template.Library()

register.filter("price_state", price_state)
register.filter("audit_values", describe)
