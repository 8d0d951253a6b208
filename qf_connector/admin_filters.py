"""List filters of the call log screen in French: django.contrib.admin (whose catalog
holds "Any date", "All", "Today"…) is not installed, so its labels are not translated."""

from django.contrib.admin import DateFieldListFilter, SimpleListFilter
from django.contrib.admin.filters import (
    AllValuesFieldListFilter,
    ChoicesFieldListFilter,
)

from .models import ORIGIN_LABELS, ApiCallLog

ALL = "Tous"
DATE_LABELS = ["Toutes les dates", "Aujourd'hui", "Les 7 derniers jours", "Ce mois-ci"]
DATE_LABELS += ["Cette année", "Sans date", "Avec une date"]


def _french_all(choices):
    for index, choice in enumerate(choices):
        if index == 0:
            choice = {**choice, "display": ALL}
        elif choice.get("display") is None or str(choice["display"]) == "None":
            choice = {**choice, "display": "Aucun"}
        yield choice


class FrenchDateFilter(DateFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.links = tuple(
            (label, params)
            for label, (_english, params) in zip(DATE_LABELS, self.links, strict=False)
        )


class FrenchChoicesFilter(ChoicesFieldListFilter):
    def choices(self, changelist):
        return _french_all(super().choices(changelist))


class FrenchValuesFilter(AllValuesFieldListFilter):
    def choices(self, changelist):
        return _french_all(super().choices(changelist))


class OriginFilter(SimpleListFilter):
    """Where the lookup came from, by its French name ("wizard": parcours d'inscription)."""

    title = "origine"
    parameter_name = "origine"

    def lookups(self, request, model_admin):
        origins = (
            ApiCallLog.objects.exclude(origin="")
            .order_by("origin")
            .values_list("origin", flat=True)
            .distinct()
        )
        return [(origin, ORIGIN_LABELS.get(origin, origin)) for origin in origins]

    def choices(self, changelist):
        return _french_all(super().choices(changelist))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(origin=self.value())
        return queryset
