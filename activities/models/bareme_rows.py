"""The inline rows of a barème as agents edit them: columns, brackets (with their
conditions) and sibling reductions, each mapping onto part of a ``bareme/1`` document."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.models import Orderable

from ..choices import ResidenceCondition
from ..fields import ColumnPricesField, DecimalTextField, split_words


class ConditionFields(models.Model):
    """The ``when`` of a column or of a conditional bracket, as form fields."""

    when_residence = models.CharField(
        _("résidence"),
        max_length=12,
        choices=ResidenceCondition.choices,
        blank=True,
    )
    when_rank_min = models.PositiveSmallIntegerField(
        _("à partir du rang"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Rang de l'enfant parmi les enfants inscrits (1 = l'aîné)."),
    )
    when_rank_max = models.PositiveSmallIntegerField(
        _("jusqu'au rang"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    when_regime = models.CharField(
        _("régimes"),
        max_length=30,
        blank=True,
        help_text=_("CNAF, MSA ou none (non allocataire), séparés par des virgules."),
    )
    when_flags = models.CharField(
        _("indicateurs"),
        max_length=200,
        blank=True,
        help_text=_(
            "Mots posés par un agent après vérification (rsa, ccas…), tous exigés."
        ),
    )

    condition_panels = [
        FieldRowPanel(
            [
                FieldPanel("when_residence"),
                FieldPanel("when_rank_min"),
                FieldPanel("when_rank_max"),
            ]
        ),
        FieldRowPanel([FieldPanel("when_regime"), FieldPanel("when_flags")]),
    ]

    class Meta:
        abstract = True

    def when_document(self) -> dict | None:
        when: dict = {}
        if self.when_residence:
            when["residence"] = self.when_residence
        bounds = {"min": self.when_rank_min, "max": self.when_rank_max}
        if any(bound is not None for bound in bounds.values()):
            when["child_rank"] = {k: v for k, v in bounds.items() if v is not None}
        if self.when_regime.strip():
            when["regime"] = split_words(self.when_regime)
        if self.when_flags.strip():
            when["flags"] = split_words(self.when_flags)
        return when or None

    @staticmethod
    def when_fields(when: dict | None) -> dict:
        when = when or {}
        rank = when.get("child_rank", {})
        return {
            "when_residence": when.get("residence", ""),
            "when_rank_min": rank.get("min"),
            "when_rank_max": rank.get("max"),
            "when_regime": ", ".join(when.get("regime", [])),
            "when_flags": ", ".join(when.get("flags", [])),
        }


class BaremeColumn(ConditionFields, Orderable):
    bareme = ParentalKey("Bareme", on_delete=models.CASCADE, related_name="columns")
    key = models.SlugField(
        _("clé"), max_length=50, help_text=_("Par exemple « rang_1 » ou « exterieur ».")
    )
    label = models.CharField(_("libellé"), max_length=100)
    effort_rate = DecimalTextField(_("taux d'effort"), blank=True)
    effort_floor = DecimalTextField(_("prix plancher"), blank=True)
    effort_ceiling = DecimalTextField(_("prix plafond"), blank=True)

    panels = [
        FieldRowPanel([FieldPanel("key"), FieldPanel("label")]),
        *ConditionFields.condition_panels,
        FieldRowPanel(
            [
                FieldPanel("effort_rate"),
                FieldPanel("effort_floor"),
                FieldPanel("effort_ceiling"),
            ],
            help_text=_("Seulement pour un barème au taux d'effort."),
        ),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("colonne")
        verbose_name_plural = _("colonnes")

    def __str__(self):
        return self.label

    def document(self) -> dict:
        column = {"key": self.key, "label": self.label}
        when = self.when_document()
        if when:
            column["when"] = when
        return column

    def rate_document(self) -> dict | None:
        if not self.effort_rate:
            return None
        return {
            "rate": self.effort_rate,
            "floor": self.effort_floor or None,
            "ceiling": self.effort_ceiling or None,
        }

    @classmethod
    def from_document(cls, column: dict, rate: dict | None) -> BaremeColumn:
        rate = rate or {}
        return cls(
            key=column["key"],
            label=column["label"],
            effort_rate=rate.get("rate") or "",
            effort_floor=rate.get("floor") or "",
            effort_ceiling=rate.get("ceiling") or "",
            **cls.when_fields(column.get("when")),
        )


class BaremeBracket(ConditionFields, Orderable):
    bareme = ParentalKey("Bareme", on_delete=models.CASCADE, related_name="brackets")
    label = models.CharField(
        _("libellé"), max_length=100, help_text=_("Tel que publié : « Tranche 1 ».")
    )
    min_value = DecimalTextField(
        _("quotient minimal"), blank=True, help_text=_("Vide : pas de minimum.")
    )
    min_included = models.BooleanField(_("minimum inclus"), default=True)
    max_value = DecimalTextField(
        _("quotient maximal"), blank=True, help_text=_("Vide : pas de maximum.")
    )
    max_included = models.BooleanField(_("maximum inclus"), default=True)
    price = DecimalTextField(
        _("prix"), blank=True, help_text=_("Pour un barème sans colonnes.")
    )
    prices = ColumnPricesField(
        _("prix par colonne"),
        default=dict,
        blank=True,
        help_text=_(
            "Une ligne par colonne : « clé : prix », par exemple « rang_1 : 3,77 »."
        ),
    )

    panels = [
        FieldPanel("label"),
        FieldRowPanel(
            [
                FieldPanel("min_value"),
                FieldPanel("min_included"),
                FieldPanel("max_value"),
                FieldPanel("max_included"),
            ]
        ),
        FieldRowPanel([FieldPanel("price"), FieldPanel("prices")]),
        MultiFieldPanel(
            ConditionFields.condition_panels,
            heading=_("Condition (ligne particulière)"),
            help_text=_("Laissez vide pour une tranche ordinaire."),
        ),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")

    def __str__(self):
        return self.label

    def document(self, has_columns: bool) -> dict:
        bracket = {
            "label": self.label,
            "min": self.min_value or None,
            "min_included": self.min_included,
            "max": self.max_value or None,
            "max_included": self.max_included,
        }
        if has_columns:
            bracket["prices"] = dict(self.prices or {})
        else:
            bracket["price"] = self.price or None
        when = self.when_document()
        if when:
            bracket["when"] = when
        return bracket

    @classmethod
    def from_document(cls, bracket: dict) -> BaremeBracket:
        return cls(
            label=bracket["label"],
            min_value=bracket["min"] or "",
            min_included=bracket["min_included"],
            max_value=bracket["max"] or "",
            max_included=bracket["max_included"],
            price=bracket.get("price") or "",
            prices=bracket.get("prices") or {},
            **cls.when_fields(bracket.get("when")),
        )


class BaremeSiblingReduction(Orderable):
    bareme = ParentalKey(
        "Bareme", on_delete=models.CASCADE, related_name="sibling_reductions"
    )
    from_rank = models.PositiveSmallIntegerField(
        _("à partir du rang"), validators=[MinValueValidator(1)]
    )
    percent = DecimalTextField(_("réduction (%)"))

    panels = [FieldRowPanel([FieldPanel("from_rank"), FieldPanel("percent")])]

    class Meta(Orderable.Meta):
        verbose_name = _("réduction fratrie")
        verbose_name_plural = _("réductions fratrie")
