"""What the family portal's parts tell each other without importing each other.

The enrolment services say that a tariff changed; whoever follows tariffs (today the
certificates, tomorrow billing) listens, and the enrolment code never imports them.
"""

from django.dispatch import Signal

# The tariff of these enrolments was set, changed or ended: a confirmation, a re-pricing,
# a cancellation, a promotion from the waiting list. Sent inside the transaction that
# changed them; receivers defer their work to the commit. Arguments: `enrolments` (a
# list) and `user` (who made the change, or None).
tariff_changed = Signal()
