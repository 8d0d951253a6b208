"""The family service's screens in the Wagtail admin, grouped under "Portail Famille".

Thin modeladmin classes (columns, filters, search, export), one module per screen family
in family_portal/backoffice/screens/, registered here; the behaviour lives in
family_portal/backoffice/. Only users with the family models' permissions (the group
"Agents famille", and superusers) see the menu, the dashboard panel and the search
area; every view checks its permissions again.
"""

from django.urls import include, path, reverse, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.search import SearchArea
from wagtail_modeladmin.options import ModelAdminGroup, modeladmin_register

from .backoffice import urls as backoffice_urls
from .backoffice.panels import FamilyServicePanel
from .backoffice.permissions import (
    ADD_ENROLMENT,
    VIEW_ENROLMENT,
    is_family_agent,
)
from .backoffice.screens.audit import AgentActionAdmin, ApiCallLogScreen
from .backoffice.screens.enrolments import EnrolmentAdmin
from .backoffice.screens.families import ChildAdmin, FamilyAdmin, GuardianAdmin
from .backoffice.screens.quotients import QfDocumentAdmin, QuotientRecordAdmin
from .models import (
    AgentAction,
    Child,
    Enrolment,
    Family,
    QfDocument,
    QuotientRecord,
)


class AgentMenuItem(MenuItem):
    """A link of the group shown to agents holding `perms`."""

    def __init__(self, label, url, icon_name, perms, order=0):
        super().__init__(label, url, icon_name=icon_name, order=order)
        self.perms = perms

    def is_shown(self, request):
        return is_family_agent(request.user) and request.user.has_perms(self.perms)


class FamilyPortalGroup(ModelAdminGroup):
    menu_label = "Portail Famille"
    menu_icon = "group"
    menu_order = 200
    items = (
        FamilyAdmin,
        ChildAdmin,
        EnrolmentAdmin,
        QfDocumentAdmin,
        QuotientRecordAdmin,
        AgentActionAdmin,
        ApiCallLogScreen,
    )

    def get_submenu_items(self):
        admins = {item.model: item for item in self.modeladmin_instances}

        def screen(model):
            return admins[model].get_menu_item()

        links = [
            screen(Family),
            screen(Child),
            screen(Enrolment),
            AgentMenuItem(
                "Inscription au guichet",
                reverse_lazy("family_backoffice:counter_search"),
                "user",
                [ADD_ENROLMENT],
            ),
            AgentMenuItem(
                "Inscriptions : QF à vérifier",
                reverse_lazy("family_backoffice:qf_pending"),
                "warning",
                [VIEW_ENROLMENT],
            ),
            screen(QfDocument),
            AgentMenuItem(
                "Périodes et listes d'attente",
                reverse_lazy("family_backoffice:period_list"),
                "date",
                [VIEW_ENROLMENT],
            ),
            screen(QuotientRecord),
            AgentMenuItem(
                "Campagne annuelle du QF",
                reverse_lazy("family_backoffice:campaign_list"),
                "calculator",
                ["family_portal.view_qfcampaign"],
            ),
            screen(AgentAction),
            screen(ApiCallLogScreen.model),
            AgentMenuItem(
                "Barèmes",
                reverse_lazy("wagtailsnippets_activities_bareme:list"),
                "table",
                ["activities.view_bareme"],
            ),
        ]
        for order, link in enumerate(links, start=1):
            link.order = order
        return links


modeladmin_register(FamilyPortalGroup)
modeladmin_register(GuardianAdmin)


@hooks.register("register_admin_urls")
def register_backoffice_urls():
    return [path("famille/", include(backoffice_urls, namespace="family_backoffice"))]


@hooks.register("construct_homepage_panels")
def add_family_service_panel(request, panels):
    if is_family_agent(request.user):
        panels.append(FamilyServicePanel())


class FamilySearchArea(SearchArea):
    def is_shown(self, request):
        return is_family_agent(request.user)


@hooks.register("register_admin_search_area")
def register_family_search_area():
    return FamilySearchArea(
        "Familles",
        reverse("family_portal_family_modeladmin_index"),
        icon_name="group",
        order=150,
    )
