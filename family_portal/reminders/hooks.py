"""What other apps tell the reminders, through Wagtail hooks (they may know more than
billing does; this app never imports them).

- ``DEBIT_HOOK``: ``fn(invoices) -> set of invoice ids`` under a direct debit in
  progress (answered by the directdebit app). They get no reminder and block no
  enrolment: the money is on its way.
- ``CREDIT_HOOK``: ``fn(pairs) -> {(family_id, regie_id): Decimal}``, the credit each
  family holds at each régie. Every app answering knows the same money from its side
  (an overpayment may be both an invoice paid beyond its amount and a credit row), so
  the largest answer counts, never their sum. This app answers with what billing knows
  (``owed.billing_credits``); the payments app answers with its credit rows.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from wagtail import hooks

DEBIT_HOOK = "reminders_invoices_under_debit"
CREDIT_HOOK = "reminders_family_credit"

ZERO = Decimal("0.00")


def under_debit(invoices) -> set[int]:
    invoices = list(invoices)
    found: set[int] = set()
    if not invoices:
        return found
    for answer in hooks.get_hooks(DEBIT_HOOK):
        found |= set(answer(invoices))
    return found


def credits(pairs) -> dict[tuple[int, int], Decimal]:
    pairs = set(pairs)
    found: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    if not pairs:
        return found
    for answer in hooks.get_hooks(CREDIT_HOOK):
        for pair, amount in answer(pairs).items():
            if pair in pairs:
                found[pair] = max(found[pair], amount)
    return found
