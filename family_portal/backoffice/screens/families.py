"""Families, their guardians and children in the admin."""

from django.contrib.admin import display
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from wagtail_modeladmin.options import ModelAdmin

from ...models import (
    Child,
    Family,
    Guardian,
    QuotientRecord,
)
from ...quotients import with_identity_warnings
from ..admin_views import (
    ExportIndexView,
    FamilyButtonHelper,
    FamilyInspectView,
    FamilyMemberCreateView,
    PermittedHistoryView,
    SchoolFilter,
    yes_no,
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
        "identity_warning",
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
    form_fields_exclude = ("users", "qf_refresh_consent_at", "qf_refresh_consent_by")
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
            with_identity_warnings(super().get_queryset(request))
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

    @display(description="Alerte identité")
    def identity_warning(self, family):
        warnings = []
        if family.identity_shared:
            warnings.append("responsable d'une autre famille")
        if family.identity_refused:
            warnings.append("refusée par une limite de demandes")
        return " ; ".join(warnings) or "—"


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
