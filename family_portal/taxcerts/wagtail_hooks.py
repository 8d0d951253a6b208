from django.urls import include, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from family_portal.backoffice.permissions import is_family_agent

from . import admin_urls


class TaxCertificatesMenuItem(MenuItem):
    def is_shown(self, request):
        return is_family_agent(request.user) and request.user.has_perm(
            "taxcerts.view_taxcertificatejob"
        )


@hooks.register("register_admin_menu_item")
def register_menu_item():
    return TaxCertificatesMenuItem(
        "Attestations fiscales",
        reverse_lazy("taxcerts_admin:index"),
        icon_name="doc-full",
        order=250,
    )


@hooks.register("register_admin_urls")
def register_urls():
    return [
        path("attestations-fiscales/", include(admin_urls, namespace="taxcerts_admin"))
    ]
