"""The direct-debit screens in the Wagtail admin."""

from django.template.loader import render_to_string
from django.urls import include, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from family_portal.backoffice.permissions import is_family_agent
from family_portal.payments.account import ACCOUNT_SECTION_HOOK
from family_portal.payments.services import COUNTER_WARNING_HOOK, ONLINE_REFUSAL_HOOK
from family_portal.reminders.hooks import DEBIT_HOOK

from . import admin_urls
from .mandates import active_mandate, offered
from .models import DebitLine
from .notices import counter_warning, online_payment_refusal


class DirectDebitMenuItem(MenuItem):
    def is_shown(self, request):
        return is_family_agent(request.user) and request.user.has_perm(
            "directdebit.view_debitbatch"
        )


@hooks.register("register_admin_menu_item")
def register_direct_debit_menu_item():
    return DirectDebitMenuItem(
        "Prélèvements",
        reverse_lazy("directdebit_admin:batch_list"),
        icon_name="form",
        order=250,
    )


@hooks.register("register_admin_urls")
def register_direct_debit_urls():
    return [path("prelevements/", include(admin_urls, namespace="directdebit_admin"))]


@hooks.register(ACCOUNT_SECTION_HOOK)
def mandate_section(request, family):
    """The mandate's summary on the family's account page ("Mon compte")."""
    if not offered():
        return None
    return render_to_string(
        "directdebit/account_section.html",
        {"mandate": active_mandate(family)},
        request=request,
    )


@hooks.register(DEBIT_HOOK)
def invoices_under_debit(invoices):
    """The reminders' question: the invoices sent to the bank for a debit not collected
    nor returned yet (the money is on its way: no reminder)."""
    return set(
        DebitLine.objects.filter(
            invoice__in=[invoice.pk for invoice in invoices],
            status=DebitLine.Status.SENT,
        ).values_list("invoice_id", flat=True)
    )


@hooks.register(ONLINE_REFUSAL_HOOK)
def no_online_payment_under_debit(invoice):
    """Payments' question: an invoice the debit takes is not paid online as well."""
    return online_payment_refusal(invoice)


@hooks.register(COUNTER_WARNING_HOOK)
def debit_at_the_bank(invoice):
    """Payments' question at the counter: the debit already takes this invoice."""
    return counter_warning(invoice)
