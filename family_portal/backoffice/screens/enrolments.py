"""Enrolments in the admin: list, filters, export and the enrolment's file."""

from django.contrib.admin import display
from wagtail_modeladmin.options import ModelAdmin

from activities.pricing.formatting import format_money
from qf_connector.admin_filters import FrenchDateFilter

from ...models import (
    Enrolment,
)
from ..admin_views import (
    ActivityFilter,
    BracketFilter,
    EnrolmentButtonHelper,
    EnrolmentInspectView,
    EnrolmentSchoolFilter,
    ExportIndexView,
    ListAndInspectOnly,
    PeriodFilter,
    PermittedHistoryView,
)


class EnrolmentAdmin(ModelAdmin):
    model = Enrolment
    history_view_class = PermittedHistoryView
    menu_label = "Inscriptions"
    menu_icon = "list-ul"
    index_view_class = ExportIndexView
    permission_helper_class = ListAndInspectOnly
    button_helper_class = EnrolmentButtonHelper
    inspect_view_enabled = True
    inspect_view_class = EnrolmentInspectView
    inspect_template_name = "backoffice/enrolment_inspect.html"
    list_display = (
        "child",
        "family",
        "activity_and_period",
        "status",
        "price",
        "bracket",
        "qf_value",
        "qf_source",
    )
    list_filter = (
        ActivityFilter,
        PeriodFilter,
        "status",
        EnrolmentSchoolFilter,
        "qf_source",
        BracketFilter,
        "price_overridden",
        ("created_at", FrenchDateFilter),
    )
    search_fields = (
        "child__first_name",
        "child__last_name",
        "family__name",
        "reference",
    )
    list_export = (
        "reference",
        "family",
        "child",
        "child__school",
        "activity",
        "period",
        "status",
        "waiting_since",
        "amount",
        "unit",
        "column",
        "bracket",
        "qf_value",
        "qf_month",
        "qf_provider",
        "qf_source",
        "price_overridden",
        "deliberation_reference",
        "created_at",
    )
    export_filename = "inscriptions"
    list_per_page = 50

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("family", "child", "period__activity")
        )

    @display(description="Activité", ordering="period__activity__title")
    def activity(self, enrolment):
        return enrolment.period.activity.title

    @display(description="Activité et période", ordering="period__activity__title")
    def activity_and_period(self, enrolment):
        return f"{enrolment.period.activity.title} — {enrolment.period.label}"

    @display(description="Tarif", ordering="amount")
    def price(self, enrolment):
        overridden = " (corrigé)" if enrolment.price_overridden else ""
        return f"{format_money(enrolment.amount)} / {enrolment.unit}{overridden}"
