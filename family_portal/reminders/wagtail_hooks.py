"""The reminders in the Wagtail admin (the overdue invoices' screen, its menu entry and
the count on the admin home) and this app's own answer to the credit hook."""

from wagtail import hooks

from . import owed
from .hooks import CREDIT_HOOK

hooks.register(CREDIT_HOOK, owed.billing_credits)
