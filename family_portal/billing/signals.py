"""What billing tells the apps above it (it never imports them).

``invoices_issued`` (``invoice_ids``): a run issued these invoices; sent inside the
transaction that created them, so a receiver's writes (payments uses the families'
credit on them) commit or roll back with the invoices.
"""

from django.dispatch import Signal

invoices_issued = Signal()
credit_note_issued = Signal()
