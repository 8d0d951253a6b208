"""``{% reminder_history invoice %}``: the reminders sent about an invoice, on its page
(the one place billing's templates name the reminders)."""

from django import template

register = template.Library()


@register.inclusion_tag("reminders/history.html")
def reminder_history(invoice, heading_level=2):
    reminders = [] if invoice.is_credit_note else list(invoice.reminders.all())
    return {"reminders": reminders, "heading": f"h{heading_level}"}
