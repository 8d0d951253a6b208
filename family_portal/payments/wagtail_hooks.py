"""The counter payments in the Wagtail admin: a menu item for agents who may see
payments, and the screens' URLs under /admin/encaissements/."""

from django.db.models import Sum
from django.urls import include, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from family_portal.backoffice.permissions import is_family_agent
from family_portal.billing.views import FAMILY_CREDIT_HOOK
from family_portal.reminders.hooks import CREDIT_HOOK

from . import admin_urls
from .admin_views import VIEW_PAYMENT
from .models import Allocation
from .services import credit_of


class PaymentsMenuItem(MenuItem):
    def is_shown(self, request):
        return is_family_agent(request.user) and request.user.has_perm(VIEW_PAYMENT)


@hooks.register("register_admin_menu_item")
def register_payments_menu_item():
    return PaymentsMenuItem(
        "Encaissements",
        reverse_lazy("payments_admin:search"),
        icon_name="tasks",
        order=250,
    )


@hooks.register("register_admin_urls")
def register_payments_urls():
    return [path("encaissements/", include(admin_urls, namespace="payments_admin"))]


@hooks.register(CREDIT_HOOK)
def family_credits(pairs):
    """The reminders' question: each family's credit (overpayments not used yet) at
    each régie, from the credit rows of the ledger."""
    families = {family for family, _ in pairs}
    rows = (
        Allocation.objects.filter(invoice__isnull=True, payment__family__in=families)
        .values_list("payment__family", "payment__regie")
        .annotate(total=Sum("amount"))
    )
    return {
        (family, regie): total
        for family, regie, total in rows
        if (family, regie) in pairs and total > 0
    }


@hooks.register(FAMILY_CREDIT_HOOK)
def family_credit(family):
    """ "Mes factures"' question: the family's credit, every régie."""
    return credit_of(family)
