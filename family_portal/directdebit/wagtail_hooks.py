"""The direct-debit screens in the Wagtail admin."""

from django.urls import include, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from family_portal.backoffice.permissions import is_family_agent

from . import admin_urls


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
