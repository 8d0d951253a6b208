"""The activity pages: the list of activities and one page per activity, with the
barèmes that price it and its price simulator."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from home.blocks import BaseStreamBlock, DocumentLinkBlock

from ..choices import ActivityCategory
from ..forms import ActivityFilterForm, ActivityPageForm, PriceSimulatorForm
from ..pricing.table import grid_table
from .baremes import Bareme
from .versions import BaremeVersion

if TYPE_CHECKING:
    from .periods import ActivityPeriod


class ActivityIndexPage(Page):
    """The list of activities, filtered by category and age with a plain GET form."""

    introduction = models.TextField(_("chapô"), blank=True, max_length=500)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["activities.ActivityPage"]

    class Meta:
        verbose_name = _("liste des activités")
        verbose_name_plural = _("listes des activités")

    def activities(self):
        return ActivityPage.objects.child_of(self).live().public().order_by("path")

    def route(self, request, path_components):
        # Every child is an activity page: fetch it as one, in one query instead of
        # Wagtail's two (the generic page, then the specific one).
        if path_components:
            try:
                subpage = ActivityPage.objects.child_of(self).get(
                    slug=path_components[0]
                )
            except ActivityPage.DoesNotExist:
                return super().route(request, path_components)
            subpage._cached_parent_obj = self
            return subpage.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        form = ActivityFilterForm(request.GET or None)
        activities = self.activities()
        if form.is_valid():
            activities = form.filter(activities)
        context["filter_form"] = form
        context["activities"] = activities
        return context


class ActivityPage(Page):
    """One service the commune offers, with its periods, barèmes and price simulator."""

    category = models.CharField(
        _("catégorie"), max_length=20, choices=ActivityCategory.choices
    )
    introduction = models.TextField(
        _("chapô"),
        max_length=500,
        blank=True,
        help_text=_("Une ou deux phrases, reprises dans la liste des activités."),
    )
    description = StreamField(
        BaseStreamBlock(), verbose_name=_("description"), blank=True
    )
    age_min = models.PositiveSmallIntegerField(
        _("âge minimal"), null=True, blank=True, validators=[MaxValueValidator(25)]
    )
    age_max = models.PositiveSmallIntegerField(
        _("âge maximal"), null=True, blank=True, validators=[MaxValueValidator(25)]
    )
    school_levels = models.CharField(
        _("niveaux scolaires"),
        max_length=200,
        blank=True,
        help_text=_("Par exemple « De la petite section au CM2 »."),
    )
    schedule = models.TextField(_("horaires"), blank=True)
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    address = models.TextField(_("adresse"), blank=True)
    documents = StreamField(
        [("document", DocumentLinkBlock())],
        verbose_name=_("documents"),
        blank=True,
    )
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("courriel du contact"), blank=True)
    contact_phone = models.CharField(
        _("téléphone du contact"), max_length=30, blank=True
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("category"),
        FieldPanel("introduction"),
        FieldPanel("description"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("age_min"), FieldPanel("age_max")]),
                FieldPanel("school_levels"),
            ],
            heading=_("Public"),
        ),
        MultiFieldPanel(
            [FieldPanel("schedule"), FieldPanel("place"), FieldPanel("address")],
            heading=_("Horaires et lieu"),
        ),
        InlinePanel(
            "periods", heading=_("Périodes et inscriptions"), label=_("Période")
        ),
        InlinePanel(
            "bareme_links",
            heading=_("Tarifs"),
            label=_("Barème"),
            help_text=_("Le ou les barèmes votés qui fixent le prix de l'activité."),
        ),
        FieldPanel("documents"),
        MultiFieldPanel(
            [
                FieldPanel("contact_name"),
                FieldPanel("contact_email"),
                FieldPanel("contact_phone"),
            ],
            heading=_("Contact"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("description"),
        index.FilterField("category"),
    ]

    base_form_class = ActivityPageForm
    parent_page_types = ["activities.ActivityIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("page d'activité")
        verbose_name_plural = _("pages d'activité")

    def clean(self):
        super().clean()
        if (
            self.age_min is not None
            and self.age_max is not None
            and self.age_min > self.age_max
        ):
            raise ValidationError(
                {"age_max": _("L'âge maximal doit être supérieur à l'âge minimal.")}
            )

    @property
    def ages_display(self) -> str:
        if self.age_min is not None and self.age_max is not None:
            return _("De %(min)s à %(max)s ans") % {
                "min": self.age_min,
                "max": self.age_max,
            }
        if self.age_min is not None:
            return _("À partir de %(min)s ans") % {"min": self.age_min}
        if self.age_max is not None:
            return _("Jusqu'à %(max)s ans") % {"max": self.age_max}
        return ""

    def priced_baremes(self) -> list[tuple[ActivityBaremeLink, BaremeVersion]]:
        """Each linked barème with its latest version, in the editor's order."""
        links = list(self.bareme_links.all())
        versions = {
            version.bareme_id: version
            for version in BaremeVersion.objects.latest_per_bareme().filter(
                bareme_id__in=[link.bareme_id for link in links]
            )
        }
        return [
            (link, versions[link.bareme_id])
            for link in links
            if link.bareme_id in versions
        ]

    def pricing_version(self, period: ActivityPeriod) -> BaremeVersion | None:
        """The version that prices enrolments in ``period``: the first linked barème,
        in the editor's order, whose délibération is in force on every day of the
        period. None while no barème covers it: its enrolments stay closed."""
        tariff = PeriodTariff.of(period, self.priced_baremes())
        return tariff.version

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # The barèmes, tables and periods are read only if the page body is rendered,
        # not when it comes from the cache (templates/activities/activity_page.html).
        priced = SimpleLazyObject(self.priced_baremes)
        periods = SimpleLazyObject(
            lambda: [PeriodTariff.of(period, priced) for period in self.periods.all()]
        )
        shown = SimpleLazyObject(lambda: published_tariffs(priced, periods))
        context["periods"] = periods
        context["tariffs"] = SimpleLazyObject(
            lambda: [
                {"title": title, "table": grid_table(version.pricing)}
                for title, version in shown
            ]
        )
        form = PriceSimulatorForm(request.GET if "simuler" in request.GET else None)
        context["simulator_form"] = form
        if form.is_bound and form.is_valid() and shown:
            context["simulation"] = form.simulate(shown)
        context["enrolment_open"] = SimpleLazyObject(
            lambda: any(tariff.enrolment_is_open() for tariff in periods)
        )
        return context


def published_tariffs(priced, periods) -> list[tuple[str, BaremeVersion]]:
    """(title, version) of the grids the public sees, in the editor's order: those in
    force on the whole of some period (with no period at all, those in force today).
    A barème past its dates is never shown as the price of what families enrol in."""
    spans = [(tariff.start, tariff.end) for tariff in periods]
    if not spans:
        today = timezone.localdate()
        spans = [(today, today)]
    return [
        (link.title or version.pricing.label, version)
        for link, version in priced
        if any(version.pricing.covers(start, end) for start, end in spans)
    ]


@dataclass(frozen=True)
class PeriodTariff:
    """A period of an activity with the barème version that prices it, and its title;
    no version while no délibération covers the period's dates (enrolments stay
    closed). Templates read the period's own fields through it."""

    period: ActivityPeriod
    version: BaremeVersion | None
    title: str = ""

    @classmethod
    def of(cls, period, priced) -> PeriodTariff:
        """The first of the (link, version) pairs whose barème covers the period."""
        for link, version in priced:
            if version.pricing.covers(period.start, period.end):
                return cls(period, version, link.title or version.pricing.label)
        return cls(period, None)

    def __getattr__(self, name):
        if name == "period":  # not set yet (a copy being built)
            raise AttributeError(name)
        return getattr(self.period, name)

    def enrolment_is_open(self, today: datetime.date | None = None) -> bool:
        return self.version is not None and self.period.enrolment_is_open(today)


class ActivityBaremeLink(Orderable):
    page = ParentalKey(
        ActivityPage, on_delete=models.CASCADE, related_name="bareme_links"
    )
    bareme = models.ForeignKey(
        Bareme,
        verbose_name=_("barème"),
        on_delete=models.PROTECT,
        related_name="activity_links",
    )
    title = models.CharField(
        _("intitulé"),
        max_length=100,
        blank=True,
        help_text=_("Par défaut, le libellé du barème. Par exemple « Goûter »."),
    )

    panels = [FieldPanel("bareme"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        verbose_name = _("barème de l'activité")
        verbose_name_plural = _("barèmes de l'activité")
