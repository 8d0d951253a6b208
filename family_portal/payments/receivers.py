"""Payments listens to billing: a family's credit pays its invoices as they are issued."""

from django.dispatch import receiver

from family_portal.billing.signals import invoices_issued

from .ledger import use_credit_on_issued


@receiver(invoices_issued, dispatch_uid="payments_use_credit_on_issued")
def use_credit_on_new_invoices(sender, invoice_ids, **kwargs):
    use_credit_on_issued(invoice_ids)
