"""The family service's screens in the Wagtail admin, grouped under "Portail Famille".

Thin modeladmin classes (columns, filters, search, export); the behaviour lives in
family_portal/backoffice/. Only users with the family models' permissions (the group
"Agents famille", and superusers) see the menu, the dashboard panel and the search
area; every view checks its permissions again.
"""

from django.contrib.admin import display
from django.db.models import Count, OuterRef, Subquery
from django.urls import include, path, reverse, reverse_lazy
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.search import SearchArea
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register

from activities.pricing.formatting import format_money
from qf_connector.admin_filters import FrenchDateFilter
from qf_connector.wagtail_hooks import ApiCallLogAdmin

from .backoffice import urls as backoffice_urls
from .backoffice.admin_views import (
    ActivityFilter,
    BracketFilter,
    DocumentButtonHelper,
    DocumentStatusFilter,
    EnrolmentButtonHelper,
    EnrolmentInspectView,
    EnrolmentSchoolFilter,
    ExportIndexView,
    FamilyButtonHelper,
    FamilyInspectView,
    FamilyMemberCreateView,
    ListAndInspectOnly,
    PeriodFilter,
    PermittedHistoryView,
    SchoolFilter,
    yes_no,
)
from .backoffice.audit import describe
from .backoffice.panels import FamilyServicePanel
from .backoffice.permissions import (
    ADD_ENROLMENT,
    VIEW_ENROLMENT,
    is_family_agent,
)
from .models import (
    AgentAction,
    Child,
    Enrolment,
    Family,
    Guardian,
    QfDocument,
    QuotientRecord,
)


class FamilyAdmin(ModelAdmin):
    model = Family
    history_view_class = PermittedHistoryView
    menu_label = "Familles"
    menu_icon = "group"
    index_view_class = ExportIndexView
    inspect_view_enabled = True
    inspect_view_class = FamilyInspectView
    inspect_template_name = "backoffice/family_inspect.html"
    button_helper_class = FamilyButtonHelper
    list_display = (
        "name",
        "city",
        "guardian_names",
        "children_count",
        "current_qf",
        "consent",
    )
    list_filter = ("qf_refresh_consent", "residence_override", "city")
    search_fields = (
        "name",
        "guardians__birth_name",
        "guardians__usage_name",
        "guardians__email",
        "children__first_name",
        "children__last_name",
    )
    list_export = (
        "name",
        "street",
        "postcode",
        "city",
        "guardian_names",
        "children_count",
        "current_qf",
        "qf_refresh_consent",
        "created_at",
    )
    export_filename = "familles"
    form_fields_exclude = ("users",)
    list_per_page = 50

    def get_queryset(self, request):
        today = timezone.localdate()
        current = (
            QuotientRecord.objects.filter(
                family=OuterRef("pk"), valid_from__lte=today, valid_until__gte=today
            )
            .exclude(status=QuotientRecord.Status.SUPERSEDED)
            .order_by("-month", "-created_at")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_children=Count("children", distinct=True),
                qf_value=Subquery(current.values("value")[:1]),
            )
            .prefetch_related("guardians")
        )

    @display(description="Responsables légaux")
    def guardian_names(self, family):
        return ", ".join(str(guardian) for guardian in family.guardians.all())

    @display(description="Enfants", ordering="n_children")
    def children_count(self, family):
        return family.n_children

    @display(description="QF en vigueur (€)", ordering="qf_value")
    def current_qf(self, family):
        return family.qf_value

    @display(description="Mise à jour annuelle", ordering="qf_refresh_consent")
    def consent(self, family):
        return yes_no(family.qf_refresh_consent)


class GuardianAdmin(ModelAdmin):
    """Edited from the family's page; not in the menu."""

    model = Guardian
    history_view_class = PermittedHistoryView
    add_to_admin_menu = False
    index_view_class = ExportIndexView
    create_view_class = FamilyMemberCreateView
    list_display = ("__str__", "family", "email", "phone", "allocataire")
    search_fields = ("birth_name", "usage_name", "first_name", "email", "family__name")
    list_select_related = ("family",)

    @display(description="Allocataire")
    def allocataire(self, guardian):
        return yes_no(guardian.is_allocataire)


class ChildAdmin(ModelAdmin):
    model = Child
    history_view_class = PermittedHistoryView
    menu_label = "Enfants"
    menu_icon = "user"
    index_view_class = ExportIndexView
    create_view_class = FamilyMemberCreateView
    list_display = (
        "first_name",
        "last_name",
        "family",
        "birth_date",
        "school_level",
        "school",
    )
    list_filter = ("school_level", SchoolFilter)
    search_fields = ("first_name", "last_name", "family__name", "school")
    list_select_related = ("family",)
    list_export = (
        "first_name",
        "last_name",
        "family",
        "birth_date",
        "school_level",
        "school",
    )
    export_filename = "enfants"
    list_per_page = 50


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
