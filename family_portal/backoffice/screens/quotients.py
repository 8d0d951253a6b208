"""QF records and the documents families sent, in the admin."""

from wagtail_modeladmin.options import ModelAdmin

from qf_connector.admin_filters import FrenchDateFilter

from ...models import (
    QfDocument,
    QuotientRecord,
)
from ..admin_views import (
    DocumentButtonHelper,
    DocumentStatusFilter,
    ExportIndexView,
    ListAndInspectOnly,
    PermittedHistoryView,
)


class QuotientRecordAdmin(ModelAdmin):
    model = QuotientRecord
    history_view_class = PermittedHistoryView
    menu_label = "Quotients familiaux"
    menu_icon = "calculator"
    index_view_class = ExportIndexView
    permission_helper_class = ListAndInspectOnly
    inspect_view_enabled = True
    list_display = (
        "family",
        "value",
        "provider",
        "source",
        "month",
        "valid_until",
        "status",
        "recorded_by",
        "formula",
        "stale_warning",
    )
    list_filter = ("source", "provider", "status", ("month", FrenchDateFilter))
    search_fields = ("family__name", "request_id")
    list_select_related = ("family", "recorded_by")
    list_export = (
        "family",
        "value",
        "provider",
        "source",
        "month",
        "tax_year",
        "formula",
        "flags",
        "valid_from",
        "valid_until",
        "status",
        "recorded_by",
        "request_id",
        "retrieved_at",
    )
    export_filename = "quotients-familiaux"
    list_per_page = 50


class QfDocumentAdmin(ModelAdmin):
    model = QfDocument
    history_view_class = PermittedHistoryView
    menu_label = "Justificatifs à vérifier"
    menu_icon = "doc-full"
    index_view_class = ExportIndexView
    permission_helper_class = ListAndInspectOnly
    button_helper_class = DocumentButtonHelper
    list_display = (
        "family",
        "kind",
        "uploaded_at",
        "status",
        "checked_by",
        "checked_at",
    )
    list_filter = (DocumentStatusFilter, "kind", ("uploaded_at", FrenchDateFilter))
    search_fields = ("family__name", "original_name")
    list_select_related = ("family", "checked_by")
    list_export = (
        "family",
        "kind",
        "original_name",
        "uploaded_at",
        "status",
        "checked_by",
        "checked_at",
        "rejection_reason",
    )
    export_filename = "justificatifs"
    ordering = ("uploaded_at", "pk")
    list_per_page = 50
