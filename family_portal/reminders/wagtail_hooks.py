"""The reminders in the Wagtail admin (the overdue invoices' screen, its menu entry and
the count on the admin home), this app's own answer to the credit hook, and the
enrolment wizard's refusal when past years' invoices are unpaid."""

from django.urls import include, path, reverse, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.site_summary import SummaryItem

from family_portal.backoffice.permissions import is_family_agent
from family_portal.wizard import ENROLMENT_REFUSAL_HOOK

from . import admin_urls, blocking, owed
from .admin_views import VIEW_INVOICE
from .hooks import CREDIT_HOOK
from .overdue_screen import overdue_count

hooks.register(CREDIT_HOOK, owed.billing_credits)
hooks.register(ENROLMENT_REFUSAL_HOOK, blocking.enrolment_refusal)


def may_see_overdue(user) -> bool:
    return is_family_agent(user) and user.has_perm(VIEW_INVOICE)


class OverdueMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_overdue(request.user)


@hooks.register("register_admin_menu_item")
def register_overdue_menu_item():
    return OverdueMenuItem(
        "Factures impayées",
        reverse_lazy("reminders_admin:overdue_list"),
        icon_name="warning",
        order=250,
    )


@hooks.register("register_admin_urls")
def register_reminders_urls():
    return [path("relances/", include(admin_urls, namespace="reminders_admin"))]


class OverdueSummaryItem(SummaryItem):
    order = 400
    template_name = "reminders/admin/summary_item.html"

    def get_context_data(self, parent_context=None):
        return {
            "count": overdue_count(),
            "url": reverse("reminders_admin:overdue_list"),
        }

    def is_shown(self):
        return may_see_overdue(self.request.user)


@hooks.register("construct_homepage_summary_items")
def add_overdue_summary_item(request, items):
    items.append(OverdueSummaryItem(request))
