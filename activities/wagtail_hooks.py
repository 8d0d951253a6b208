"""Admin screens of the activities app: the barèmes, with import and export."""

from django.contrib import messages
from django.db.models import Count
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.panels import ObjectList, Panel
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import HeaderButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    IndexView,
    SnippetViewSet,
)

from . import admin_views
from .forms import BaremeAdminForm
from .models import ActivityPage, Bareme, PeriodTariff


def _url_name(view_name):
    return Bareme.snippet_viewset.get_url_name(view_name)


class VersionsPanel(Panel):
    """The versions recorded for the barème, each with its JSON export."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "activities/admin/versions_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            bareme = self.instance
            context["versions"] = (
                bareme.versions.order_by("-number") if bareme.pk else []
            )
            if bareme.pk:
                context["export_url"] = reverse(_url_name("export"), args=[bareme.pk])
            return context


class RecordVersionMixin:
    """After the rows are saved, record them as the barème's latest version."""

    def save_instance(self):
        instance = super().save_instance()
        version, created = instance.record_version()
        if created and version.number > 1:
            messages.info(
                self.request,
                _(
                    "La version %(previous)s a déjà servi à tarifer des inscriptions : "
                    "vos modifications forment la version %(number)s."
                )
                % {"previous": version.number - 1, "number": version.number},
            )
        return instance


class BaremeCreateView(RecordVersionMixin, CreateView):
    pass


class BaremeEditView(RecordVersionMixin, EditView):
    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        buttons.append(
            HeaderButton(
                _("Exporter en JSON"),
                url=reverse(_url_name("export"), args=[self.object.pk]),
                icon_name="download",
            )
        )
        return buttons


class BaremeIndexView(IndexView):
    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        buttons.append(
            HeaderButton(
                _("Importer un document JSON"),
                url=reverse(_url_name("import")),
                icon_name="upload",
            )
        )
        return buttons


class BaremeViewSet(SnippetViewSet):
    model = Bareme
    icon = "table"
    menu_label = gettext_lazy("Barèmes")
    menu_order = 250
    add_to_admin_menu = True
    copy_view_enabled = False
    index_view_class = BaremeIndexView
    add_view_class = BaremeCreateView
    edit_view_class = BaremeEditView
    list_display = [
        "label",
        "slug",
        "unit",
        "valid_from",
        "valid_until",
        Column("version_count", label=gettext_lazy("Versions")),
    ]
    search_fields = ["slug", "label"]
    edit_handler = ObjectList(
        [
            *Bareme.panels,
            VersionsPanel(heading=gettext_lazy("Versions")),
        ],
        base_form_class=BaremeAdminForm,
    )

    def get_queryset(self, request):
        return Bareme.objects.annotate(version_count=Count("versions"))

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "import/",
                lambda request: admin_views.import_view(request, self),
                name="import",
            ),
            path(
                "<int:pk>/export/",
                lambda request, pk: admin_views.export_view(request, self, pk),
                name="export",
            ),
        ]


register_snippet(BaremeViewSet)


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def warn_about_untariffed_periods(request, page):
    """A period that no linked barème covers keeps its enrolments closed: say so to the
    editor (a period may be announced before the council votes its tariffs)."""
    if not isinstance(page, ActivityPage):
        return
    today = timezone.localdate()
    priced = page.priced_baremes()
    for period in page.periods.all():
        if period.end < today or PeriodTariff.of(period, priced).version is not None:
            continue
        messages.warning(
            request,
            _(
                "Aucun barème lié ne couvre la période « %(label)s » (du %(start)s au "
                "%(end)s) : ses inscriptions restent fermées tant que le barème voté "
                "pour ces dates n'est pas lié à l'activité."
            )
            % {
                "label": period.label,
                "start": date_format(period.start, "j F Y"),
                "end": date_format(period.end, "j F Y"),
            },
        )
