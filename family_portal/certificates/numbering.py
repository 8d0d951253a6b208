"""Certificate numbers: ATT-<year>-<six digits>, unique, allocated under concurrency.

The year's counter row is incremented with one UPDATE inside the caller's transaction:
on PostgreSQL the row stays locked until that transaction ends, so two requests never
get the same number, and a rolled-back issue gives its numbers back.
"""

from django.db import IntegrityError, transaction
from django.db.models import F

PREFIX = "ATT"


def format_number(year: int, sequence: int) -> str:
    return f"{PREFIX}-{year}-{sequence:06d}"


def allocate_numbers(year: int, count: int = 1) -> list[str]:
    """`count` consecutive new numbers for `year`; call inside a transaction."""
    from family_portal.models import CertificateNumberSequence

    if count < 1:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_numbers() must run inside transaction.atomic().")
    sequences = CertificateNumberSequence.objects
    if not sequences.filter(year=year).update(last=F("last") + count):
        try:
            with transaction.atomic():
                sequences.create(year=year, last=0)
        except IntegrityError:
            pass  # Another transaction created this year's row first: use it.
        sequences.filter(year=year).update(last=F("last") + count)
    last = sequences.values_list("last", flat=True).get(year=year)
    return [format_number(year, n) for n in range(last - count + 1, last + 1)]
