"""The billing screens in the Wagtail admin: régies and billing rules (snippets, next
to the barèmes), the monthly runs, invoices, credit notes and corrections."""

from django.contrib import messages
from django.urls import include, path, reverse, reverse_lazy
from django.utils.functional import cached_property
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import ObjectList, Panel
from wagtail.admin.widgets.button import HeaderButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, EditView, SnippetViewSet

from family_portal.backoffice.permissions import is_family_agent

from . import admin_urls
from .admin_forms import ServiceRulesAdminForm
from .models import Regie, ServiceRules


class RulesVersionsPanel(Panel):
    class BoundPanel(Panel.BoundPanel):
        template_name = "billing/admin/versions_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            rules = self.instance
            context["versions"] = rules.versions.order_by("-number") if rules.pk else []
            if rules.pk:
                context["export_url"] = reverse(
                    "billing_admin:rules_export", args=[rules.pk]
                )
            return context


class RecordVersionMixin:
    """Once saved, the rules are recorded as their latest version (a new one when the
    latest has billed a month)."""

    def save_instance(self):
        instance = super().save_instance()
        version, created = instance.record_version(user=self.request.user)
        if created and version.number > 1:
            messages.info(
                self.request,
                f"La version {version.number - 1} a déjà servi à facturer : vos "
                f"modifications forment la version {version.number}.",
            )
        return instance


class RulesCreateView(RecordVersionMixin, CreateView):
    pass


class RulesEditView(RecordVersionMixin, EditView):
    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        buttons.append(
            HeaderButton(
                "Exporter en JSON",
                url=reverse("billing_admin:rules_export", args=[self.object.pk]),
                icon_name="download",
            )
        )
        return buttons


class ServiceRulesViewSet(SnippetViewSet):
    model = ServiceRules
    icon = "form"
    menu_label = "Règles de facturation"
    menu_order = 251
    add_to_admin_menu = True
    copy_view_enabled = False
    add_view_class = RulesCreateView
    edit_view_class = RulesEditView
    list_display = ["label", "activity", "regie", "updated_at"]
    search_fields = ["slug", "label"]
    edit_handler = ObjectList(
        [*ServiceRules.panels, RulesVersionsPanel(heading="Versions")],
        base_form_class=ServiceRulesAdminForm,
    )


class RegieViewSet(SnippetViewSet):
    model = Regie
    icon = "tasks"
    menu_label = "Régies"
    menu_order = 252
    add_to_admin_menu = True
    copy_view_enabled = False
    list_display = ["name", "code", "number_format", "payfip_client_number"]


register_snippet(ServiceRulesViewSet)
register_snippet(RegieViewSet)


class BillingMenuItem(MenuItem):
    def is_shown(self, request):
        return is_family_agent(request.user) and request.user.has_perm(
            "billing.view_billingrun"
        )


@hooks.register("register_admin_menu_item")
def register_billing_menu_item():
    return BillingMenuItem(
        "Facturation",
        reverse_lazy("billing_admin:run_list"),
        icon_name="form",
        order=249,
    )


@hooks.register("register_admin_urls")
def register_billing_urls():
    return [path("facturation/", include(admin_urls, namespace="billing_admin"))]
