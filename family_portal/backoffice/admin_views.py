"""Pieces the modeladmin screens of family_portal/wagtail_hooks.py use: list filters,
an index view whose exports speak local time and defuse spreadsheet formulas, inspect
views that gather a family's or an enrolment's file, and their buttons."""

from __future__ import annotations

import datetime

from django.contrib.admin import SimpleListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from wagtail_modeladmin.helpers import ButtonHelper, PermissionHelper
from wagtail_modeladmin.views import CreateView, HistoryView, IndexView, InspectView

from activities.models import ActivityPage, ActivityPeriod
from home.ids import id_or_404, integer_lookup_values_ok, parse_id

from ..models import Child, Enrolment, Family, QfDocument
from ..quotients import families_sharing_an_identity, with_identity_warnings
from .links import certificate_batch_url, certificate_url, family_bookings_url
from .permissions import ADD_QUOTIENT, CHANGE_ENROLMENT, CHECK_DOCUMENT

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _local(value):
    return (
        timezone.localtime(value).replace(tzinfo=None)
        if timezone.is_aware(value)
        else value
    )


def _csv_text(value):
    # A spreadsheet opening the CSV would run "=HYPERLINK(…)" typed by a parent.
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class ExportIndexView(IndexView):
    """Exports in Europe/Paris time; text cells never start a formula. An id in the
    query string that no column can hold is a 404, never a query."""

    def get_filters(self, request):
        specs, has_filters, remaining, distinct = super().get_filters(request)
        for lookup, value in remaining.items():
            if not integer_lookup_values_ok(self.model, lookup, value):
                raise Http404("Filtre invalide.")
        return specs, has_filters, remaining, distinct

    def get_queryset(self, request=None):
        try:
            return super().get_queryset(request)
        except IncorrectLookupParameters as error:
            raise Http404("Filtre invalide.") from error

    custom_value_preprocess = {
        **IndexView.custom_value_preprocess,
        datetime.datetime: {
            IndexView.FORMAT_XLSX: _local,
            IndexView.FORMAT_CSV: lambda value: _local(value).isoformat(" ", "minutes"),
        },
        str: {IndexView.FORMAT_CSV: _csv_text},
    }


# -- list filters ----------------------------------------------------------------------------


class IdFilter(SimpleListFilter):
    """A list filter whose value is a database id: a bad one is a 404, never a query."""

    def id_value(self):
        return id_or_404(self.value()) if self.value() else None


class ActivityFilter(IdFilter):
    title = "activité"
    parameter_name = "activite"

    def lookups(self, request, model_admin):
        return [
            (str(page.pk), page.title)
            for page in ActivityPage.objects.order_by("title").only("pk", "title")
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(period__activity_id=self.id_value())
        return queryset


class PeriodFilter(IdFilter):
    """Periods named with their activity: "Année scolaire 2025-2026" is not enough."""

    title = "période"
    parameter_name = "period__id__exact"

    def lookups(self, request, model_admin):
        periods = ActivityPeriod.objects.select_related("activity").order_by(
            "activity__title", "start"
        )
        activity = request.GET.get(ActivityFilter.parameter_name)
        if activity:
            periods = periods.filter(activity_id=id_or_404(activity))
        return [
            (str(period.pk), f"{period.activity.title} — {period.label}")
            for period in periods
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(period_id=self.id_value())
        return queryset


class SchoolFilter(SimpleListFilter):
    title = "école"
    parameter_name = "ecole"
    field = "school"

    def lookups(self, request, model_admin):
        schools = (
            Child.objects.exclude(school="")
            .values_list("school", flat=True)
            .distinct()
            .order_by("school")
        )
        return [(school, school) for school in schools]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class EnrolmentSchoolFilter(SchoolFilter):
    field = "child__school"


class BracketFilter(SimpleListFilter):
    title = "tranche"
    parameter_name = "tranche"

    def lookups(self, request, model_admin):
        brackets = (
            Enrolment.objects.exclude(bracket="")
            .values_list("bracket", flat=True)
            .distinct()
            .order_by("bracket")
        )
        return [(bracket, bracket) for bracket in brackets]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(bracket=self.value())
        return queryset


class DocumentStatusFilter(SimpleListFilter):
    """The documents to check by default: the list is a work queue."""

    title = "état"
    parameter_name = "etat"
    ALL = "tous"

    def lookups(self, request, model_admin):
        return [*QfDocument.Status.choices, (self.ALL, "Tous")]

    def value(self):
        return super().value() or QfDocument.Status.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        return queryset.filter(status=self.value())


# -- permissions and buttons -------------------------------------------------------------------


class ListAndInspectOnly(PermissionHelper):
    """Rows changed only through the back-office's audited actions."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class PermittedHistoryView(HistoryView):
    """wagtail-modeladmin's history view checks no permission at all: any admin user
    (an editor) could read a family's, a child's or a document's history page, which
    names them. Only those who may list the rows may see it."""

    def check_action_permitted(self, user):
        return self.permission_helper.user_can_list(user)


def yes_no(value) -> str:
    # Django admin's boolean icons are not served here (no django.contrib.admin).
    return "Oui" if value else "Non"


def _button(url, label, classname="button", title=None):
    return {"url": url, "label": label, "classname": classname, "title": title or label}


class FamilyButtonHelper(ButtonHelper):
    """In the list: open the family's page or edit its address; the rest is there."""

    def get_buttons_for_obj(
        self, obj, exclude=None, classnames_add=None, classnames_exclude=None
    ):
        exclude = exclude or []
        if "inspect" not in exclude:
            exclude = [*exclude, "delete"]
        return super().get_buttons_for_obj(
            obj, exclude, classnames_add, classnames_exclude
        )


class EnrolmentButtonHelper(ButtonHelper):
    """In the list: open the enrolment; on its page: the audited actions."""

    def get_buttons_for_obj(
        self, obj, exclude=None, classnames_add=None, classnames_exclude=None
    ):
        buttons = super().get_buttons_for_obj(
            obj, exclude, classnames_add, classnames_exclude
        )
        on_its_page = "inspect" in (exclude or [])
        if not on_its_page or not self.request.user.has_perm(CHANGE_ENROLMENT):
            return buttons
        if obj.status == Enrolment.Status.CANCELLED:
            return buttons
        if obj.status == Enrolment.Status.WAITING:
            buttons.append(
                _button(
                    reverse("family_backoffice:enrolment_promote", args=[obj.pk]),
                    "Inscrire",
                )
            )
        buttons += [
            _button(
                reverse("family_backoffice:enrolment_override", args=[obj.pk]),
                "Corriger le tarif",
            ),
            _button(
                reverse("family_backoffice:enrolment_reprice", args=[obj.pk]),
                "Recalculer",
            ),
            _button(
                reverse("family_backoffice:enrolment_cancel", args=[obj.pk]),
                "Annuler",
                "button no",
            ),
        ]
        return buttons


class DocumentButtonHelper(ButtonHelper):
    def get_buttons_for_obj(
        self, obj, exclude=None, classnames_add=None, classnames_exclude=None
    ):
        buttons = []
        user = self.request.user
        if obj.status == QfDocument.Status.PENDING and user.has_perms(
            [CHECK_DOCUMENT, ADD_QUOTIENT]
        ):
            buttons.append(
                _button(
                    reverse("family_backoffice:document_check", args=[obj.pk]),
                    "Vérifier",
                    "button button-small",
                )
            )
        buttons.append(
            _button(
                reverse("family_backoffice:document_file", args=[obj.pk]),
                "Voir le fichier",
                "button button-small button-secondary",
            )
        )
        return buttons


# -- inspect views -----------------------------------------------------------------------------------


class FamilyInspectView(InspectView):
    """Everything about a family on one page, with the actions an agent needs."""

    def get_context_data(self, **kwargs):
        family = self.instance
        context = super().get_context_data(**kwargs)
        warnings = with_identity_warnings(Family.objects.filter(pk=family.pk)).get()
        family.identity_shared = warnings.identity_shared
        family.identity_refused = warnings.identity_refused
        context.update(
            families_sharing_an_identity=list(families_sharing_an_identity(family)),
            guardians=list(family.guardians.all()),
            children=list(family.children.all()),
            quotient=family.current_quotient(),
            quotients=list(
                family.quotients.select_related("recorded_by", "document")[:10]
            ),
            documents=list(family.documents.select_related("checked_by")[:10]),
            enrolments=list(
                family.enrolments.select_related("child", "period__activity").order_by(
                    "-period__start", "child__birth_date"
                )
            ),
            actions=list(
                family.agent_actions.select_related("user", "enrolment__child")[:20]
            ),
            refreshes=list(family.qf_refreshes.all()[:5]),
            bookings_url=family_bookings_url(family),
        )
        return context


class EnrolmentInspectView(InspectView):
    """The frozen tariff, its explanation and its history, with the actions."""

    def get_context_data(self, **kwargs):
        enrolment = self.instance
        context = super().get_context_data(**kwargs)
        context.update(
            price_changes=list(enrolment.price_changes.select_related("changed_by")),
            actions=list(enrolment.agent_actions.select_related("user")),
            certificates_url=certificate_batch_url(enrolment.period),
            certificate_url=certificate_url(enrolment),
        )
        return context


class FamilyMemberCreateView(CreateView):
    """A child or guardian added from a family's page: the family is chosen already."""

    def get_initial(self):
        initial = super().get_initial()
        family = parse_id(self.request.GET.get("family"))
        if family is not None:
            initial["family"] = family
        return initial

    def get_success_url(self):
        return reverse(
            "family_portal_family_modeladmin_inspect", args=[self.instance.family_id]
        )
