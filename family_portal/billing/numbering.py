"""Gapless numbers per régie, series (invoices, credit notes, receipts) and year, allocated inside the caller's transaction.

One UPDATE increments the series' counter: on PostgreSQL the row stays locked until the
transaction ends, so two runs of the same régie never get the same number, and a rolled
back batch gives its numbers back (no gap). Runs of different régies lock different rows.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import NumberSequence, Regie


def allocate(regie: Regie, year: int, count: int, *, credit_note=False) -> list[str]:
    """``count`` consecutive new numbers; call inside ``transaction.atomic()``."""
    series = (
        NumberSequence.Series.CREDIT_NOTE
        if credit_note
        else NumberSequence.Series.INVOICE
    )
    return [
        regie.invoice_number(year, number, credit_note=credit_note)
        for number in next_numbers(regie, year, series, count)
    ]


def next_numbers(regie: Regie, year: int, series: str, count: int) -> range:
    """The next ``count`` numbers (integers) of a régie's series for the year; call
    inside ``transaction.atomic()``. Payments' receipts use the ``receipt`` series."""
    if count < 1:
        return range(0)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate() must run inside transaction.atomic().")
    rows = NumberSequence.objects.filter(regie=regie, year=year, series=series)
    if not rows.update(last=F("last") + count):
        try:
            with transaction.atomic():
                NumberSequence.objects.create(
                    regie=regie, year=year, series=series, last=0
                )
        except IntegrityError:
            pass  # another transaction created the row first: use it
        rows.update(last=F("last") + count)
    last = rows.values_list("last", flat=True).get()
    return range(last - count + 1, last + 1)
