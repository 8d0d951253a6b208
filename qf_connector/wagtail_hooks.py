"""Agents' read-only screen of the API Particulier call log (list, filters, search, export)."""

from django.contrib.admin import display
from django.utils.translation import gettext_lazy as _
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin

from .admin_filters import (
    FrenchChoicesFilter,
    FrenchDateFilter,
    FrenchValuesFilter,
    OriginFilter,
)
from .models import ApiCallLog


class ReadOnlyPermissionHelper(PermissionHelper):
    """A log is evidence: nobody adds, edits or deletes rows from the admin."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class ApiCallLogAdmin(ModelAdmin):
    model = ApiCallLog
    menu_label = _("Appels API Particulier")
    menu_icon = "list-ul"
    menu_order = 900
    add_to_settings_menu = False
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    list_display = (
        "started_at",
        "endpoint",
        "http_status",
        "error_kind",
        "error_code",
        "attempts",
        "duration_ms",
        "request_id",
        "user",
        "family_id",
        "origin_label",
    )
    list_filter = (
        ("error_kind", FrenchChoicesFilter),
        ("http_status", FrenchValuesFilter),
        ("started_at", FrenchDateFilter),
        OriginFilter,
    )
    search_fields = ("request_id", "error_code")
    list_export = (
        "started_at",
        "endpoint",
        "http_status",
        "error_kind",
        "error_code",
        "detail",
        "attempts",
        "duration_ms",
        "request_id",
        "user",
        "family_id",
        "origin",
        "cached",
    )
    export_filename = "appels-api-particulier"
    list_per_page = 50

    @display(description=_("origine"), ordering="origin")
    def origin_label(self, call):
        return call.get_origin_display()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


# Registered by family_portal/wagtail_hooks.py, in the "Portail Famille" menu group with
# the other screens of the family service (one screen, one menu entry).
