"""Bookings in the Wagtail admin: a "Réservations" menu (the services' calendars, the
headcounts, the certificates to check) and the agents' URLs under /admin/reservations/.
Each link shows only to users with its permission; every view checks again."""

from django.urls import include, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail_modeladmin.options import ModelAdminGroup, modeladmin_register

from .backoffice import urls as backoffice_urls
from .backoffice.schedules import ServiceScheduleAdmin
from .permissions import CHECK_CERTIFICATE, VIEW_BOOKINGS, VIEW_FAMILY


class PermittedMenuItem(MenuItem):
    def __init__(self, label, url, icon_name, perms):
        super().__init__(label, url, icon_name=icon_name)
        self.perms = perms

    def is_shown(self, request):
        return request.user.has_perms(self.perms)


class BookingsGroup(ModelAdminGroup):
    menu_label = "Réservations"
    menu_icon = "date"
    menu_order = 210
    items = (ServiceScheduleAdmin,)

    def get_submenu_items(self):
        links = [
            *super().get_submenu_items(),
            PermittedMenuItem(
                "Effectifs du jour",
                reverse_lazy("bookings_backoffice:headcounts"),
                "list-ul",
                [VIEW_BOOKINGS, VIEW_FAMILY],
            ),
            PermittedMenuItem(
                "Certificats médicaux à vérifier",
                reverse_lazy("bookings_backoffice:certificate_queue"),
                "doc-full",
                [CHECK_CERTIFICATE, VIEW_FAMILY],
            ),
        ]
        for order, link in enumerate(links, start=1):
            link.order = order
        return links


modeladmin_register(BookingsGroup)


@hooks.register("register_admin_urls")
def register_bookings_urls():
    return [
        path(
            "reservations/",
            include(backoffice_urls, namespace="bookings_backoffice"),
        )
    ]
