"""Payments listens to billing: a family's credit pays its invoices as they are issued,
and a credit note on a paid invoice gives back what it frees as the family's credit."""

from django.dispatch import receiver

from family_portal.billing.signals import credit_note_issued, invoices_issued

from .ledger import credit_what_a_credit_note_frees, use_credit_on_issued


@receiver(invoices_issued, dispatch_uid="payments_use_credit_on_issued")
def use_credit_on_new_invoices(sender, invoice_ids, **kwargs):
    use_credit_on_issued(invoice_ids)


@receiver(credit_note_issued, dispatch_uid="payments_credit_freed_by_credit_note")
def credit_freed_by_credit_note(sender, credit_note, user=None, **kwargs):
    credit_what_a_credit_note_frees(credit_note, by=user)
