"""The agents' audit trail and the API Particulier call log, in the admin."""

from django.contrib.admin import display
from wagtail_modeladmin.options import ModelAdmin

from qf_connector.admin_filters import FrenchDateFilter
from qf_connector.wagtail_hooks import ApiCallLogAdmin

from ...models import (
    AgentAction,
)
from ..admin_views import (
    ExportIndexView,
    ListAndInspectOnly,
    PermittedHistoryView,
)
from ..audit import describe


class AgentActionAdmin(ModelAdmin):
    model = AgentAction
    history_view_class = PermittedHistoryView
    menu_label = "Journal des actions"
    menu_icon = "history"
    index_view_class = ExportIndexView
    permission_helper_class = ListAndInspectOnly
    inspect_view_enabled = True
    list_display = (
        "at",
        "kind",
        "user",
        "family",
        "enrolment",
        "reason",
        "before_text",
        "after_text",
    )
    list_filter = ("kind", ("at", FrenchDateFilter))
    search_fields = ("family__name", "reason", "user__username")
    list_select_related = ("user", "family", "enrolment__child", "enrolment__period")
    list_export = (
        "at",
        "kind",
        "user",
        "family",
        "enrolment",
        "reason",
        "before",
        "after",
    )
    export_filename = "journal-des-actions"
    list_per_page = 50

    @display(description="Avant")
    def before_text(self, action):
        return describe(action.before)

    @display(description="Après")
    def after_text(self, action):
        return describe(action.after)


class ApiCallLogScreen(ApiCallLogAdmin):
    """qf_connector's read-only call log, in this group."""

    menu_label = "Journal API Particulier"
    history_view_class = PermittedHistoryView
