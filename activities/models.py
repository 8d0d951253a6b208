"""Barèmes (editable rows and their frozen versions) and the activity pages they price.

A ``Bareme`` is what agents edit in the admin: its fields and inline rows (columns, brackets,
sibling reductions) map one to one onto a ``bareme/1`` document. Each save records the
document in a ``BaremeVersion``; a version that has priced an enrolment is locked and never
changes again: the next edit records a new version. Pages and enrolments price with versions.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from home.blocks import BaseStreamBlock, DocumentLinkBlock

from .pricing import Quote, Situation, load_bareme, parse_bareme, quote, to_document
from .pricing.model import FORMAT, NON_RESIDENT_VALUE_KEYS
from .pricing.model import Bareme as PricingBareme

DECIMAL_TEXT_VALIDATOR = RegexValidator(
    r"^-?[0-9]+(\.[0-9]+)?$",
    _("Écrivez un nombre, avec une virgule ou un point pour les décimales (3,30)."),
)


def normalize_number(text: str) -> str:
    """A number written the French way (``1 000,50 €``) as a decimal string (``1000.50``)."""
    for character in (" ", "\u00a0", "\u202f", "€"):
        text = text.replace(character, "")
    return text.replace(",", ".")


class DecimalTextFormField(forms.CharField):
    """Accepts the French way of writing a number: ``3,30``, ``1 000``, ``3,30 €``."""

    def to_python(self, value):
        return normalize_number(super().to_python(value))


class DecimalTextField(models.CharField):
    """A decimal kept as the exact text of the délibération (``3.30`` stays ``3.30``).

    Exports must give back the very document that was imported, which a
    ``DecimalField`` with fixed decimal places would not (``308`` would become ``308.00``).
    """

    default_validators = [DECIMAL_TEXT_VALIDATOR]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 24)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": DecimalTextFormField, **kwargs})


class ColumnPricesFormField(forms.CharField):
    """One line per column, ``clé : prix``, read into ``{"clé": "prix"}``."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{key} : {price}" for key, price in value.items())
        return value

    def to_python(self, value):
        prices = {}
        for line in (super().to_python(value) or "").splitlines():
            if not line.strip():
                continue
            key, separator, price = line.partition(":")
            key = key.strip()
            price = DecimalTextFormField().to_python(price)
            if (
                not separator
                or not key
                or not DECIMAL_TEXT_VALIDATOR.regex.match(price)
            ):
                raise ValidationError(
                    _("Ligne « %(line)s » : écrivez « clé de colonne : prix »."),
                    code="invalid",
                    params={"line": line.strip()},
                )
            if key in prices:
                raise ValidationError(
                    _("La colonne « %(key)s » a deux prix."),
                    code="duplicate",
                    params={"key": key},
                )
            prices[key] = price
        return prices


class ColumnPricesField(models.JSONField):
    """A bracket's prices by column key, edited as ``clé : prix`` lines."""

    def formfield(self, **kwargs):
        options = {
            "required": not self.blank,
            "label": capfirst(self.verbose_name),
            "help_text": self.help_text,
        }
        if "widget" in kwargs:
            options["widget"] = kwargs["widget"]
        return ColumnPricesFormField(**options)


def split_words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,;]+", text.strip()) if word]


def _iso(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


class QfRounding(models.TextChoices):
    NONE = "none", _("Aucun : le quotient garde ses décimales")
    FLOOR = "floor", _("Tronqué à l'euro (622,80 → 622)")
    NEAREST = "nearest", _("Arrondi à l'euro le plus proche (622,50 → 623)")


class PricingModel(models.TextChoices):
    BRACKETS = "brackets", _("Grille par tranches de quotient")
    EFFORT_RATE = "effort_rate", _("Taux d'effort (quotient × taux)")


class NoQfMode(models.TextChoices):
    HIGHEST = "highest", _("Tarif le plus élevé (ou prix plafond)")
    PRICE = "price", _("Prix fixé")


class NonResidentMode(models.TextChoices):
    SAME = "", _("Même tarif que les habitants")
    FLAT = "flat", _("Prix forfaitaire")
    MULTIPLIER = "multiplier", _("Tarif multiplié par un coefficient")
    SURCHARGE = "surcharge", _("Tarif majoré d'un montant")


class SiblingsAppliesTo(models.TextChoices):
    ALL = "all", _("Toutes les familles")
    RESIDENTS = "residents", _("Les familles de la commune seulement")


class RoundingMode(models.TextChoices):
    HALF_UP = "half_up", _("Au plus proche (0,005 → 0,01)")
    HALF_EVEN = "half_even", _("Au plus proche, au pair en cas d'égalité")
    UP = "up", _("Au supérieur")
    DOWN = "down", _("À l'inférieur")


class ResidenceCondition(models.TextChoices):
    ANY = "", _("Tous")
    RESIDENT = "resident", _("Habitants de la commune")
    NON_RESIDENT = "non_resident", _("Hors commune")


class Bareme(ClusterableModel):
    """A barème as agents edit it: the working copy of its latest version."""

    slug = models.SlugField(
        _("identifiant"),
        max_length=100,
        unique=True,
        help_text=_("Identifiant stable, par exemple « restauration-2025 »."),
    )
    label = models.CharField(
        _("libellé"),
        max_length=200,
        help_text=_("Nom montré aux familles : « Restauration scolaire — repas »."),
    )
    unit = models.CharField(
        _("unité"),
        max_length=50,
        help_text=_("Ce que le prix paie : repas, heure, demi-heure, journée, année…"),
    )
    deliberation_reference = models.CharField(
        _("référence de la délibération"), max_length=200
    )
    deliberation_date = models.DateField(_("date de la délibération"))
    deliberation_url = models.URLField(
        _("adresse de la délibération"), max_length=500, blank=True
    )
    valid_from = models.DateField(_("valable à partir du"))
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    qf_rounding = models.CharField(
        _("arrondi du quotient familial"),
        max_length=10,
        choices=QfRounding.choices,
        default=QfRounding.NONE,
        help_text=_("Appliqué au quotient avant la recherche de la tranche."),
    )
    pricing_model = models.CharField(
        _("mode de calcul"),
        max_length=20,
        choices=PricingModel.choices,
        default=PricingModel.BRACKETS,
    )
    effort_rate = DecimalTextField(
        _("taux d'effort"),
        blank=True,
        help_text=_(
            "Sans colonnes : 0.0036 pour 0,36 % du quotient. Avec colonnes, le taux "
            "se règle sur chaque colonne."
        ),
    )
    effort_floor = DecimalTextField(_("prix plancher"), blank=True)
    effort_ceiling = DecimalTextField(_("prix plafond"), blank=True)
    no_qf_mode = models.CharField(
        _("tarif sans quotient familial"),
        max_length=10,
        choices=NoQfMode.choices,
        default=NoQfMode.HIGHEST,
    )
    no_qf_price = DecimalTextField(_("prix sans quotient familial"), blank=True)
    non_resident_mode = models.CharField(
        _("familles hors commune"),
        max_length=12,
        choices=NonResidentMode.choices,
        default=NonResidentMode.SAME,
        blank=True,
        help_text=_(
            "Ignoré quand une colonne distingue déjà les familles hors commune."
        ),
    )
    non_resident_value = DecimalTextField(
        _("prix, coefficient ou majoration hors commune"), blank=True
    )
    siblings_not_below_floor = models.BooleanField(
        _("jamais sous le prix plancher"),
        default=False,
        help_text=_(
            "Prix plancher, ou le plus bas prix de la colonne pour une grille par "
            "tranches."
        ),
    )
    siblings_applies_to = models.CharField(
        _("réduction fratrie pour"),
        max_length=10,
        choices=SiblingsAppliesTo.choices,
        default=SiblingsAppliesTo.ALL,
    )
    rounding_step = DecimalTextField(_("pas d'arrondi"), default="0.01")
    rounding_mode = models.CharField(
        _("sens de l'arrondi"),
        max_length=10,
        choices=RoundingMode.choices,
        default=RoundingMode.HALF_UP,
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("slug"),
                FieldPanel("label"),
                FieldPanel("unit"),
                FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
            ],
            heading=_("Barème"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("deliberation_reference"),
                FieldPanel("deliberation_date"),
                FieldPanel("deliberation_url"),
            ],
            heading=_("Délibération"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("pricing_model"),
                FieldPanel("qf_rounding"),
                FieldRowPanel(
                    [
                        FieldPanel("effort_rate"),
                        FieldPanel("effort_floor"),
                        FieldPanel("effort_ceiling"),
                    ]
                ),
            ],
            heading=_("Calcul"),
        ),
        InlinePanel(
            "columns",
            heading=_("Colonnes"),
            label=_("Colonne"),
            help_text=_(
                "Facultatif : plusieurs prix par tranche selon la situation de la "
                "famille. La première colonne qui convient est retenue."
            ),
        ),
        InlinePanel(
            "brackets",
            heading=_("Tranches"),
            label=_("Tranche"),
            help_text=_(
                "Les tranches ordinaires doivent couvrir tous les quotients sans se "
                "chevaucher. Une tranche avec une condition est une ligne particulière, "
                "essayée en premier."
            ),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("no_qf_mode"), FieldPanel("no_qf_price")]),
                FieldRowPanel(
                    [FieldPanel("non_resident_mode"), FieldPanel("non_resident_value")]
                ),
                FieldRowPanel(
                    [FieldPanel("rounding_step"), FieldPanel("rounding_mode")]
                ),
            ],
            heading=_("Règles"),
        ),
        MultiFieldPanel(
            [
                InlinePanel("sibling_reductions", label=_("Réduction")),
                FieldPanel("siblings_not_below_floor"),
                FieldPanel("siblings_applies_to"),
            ],
            heading=_("Réduction fratrie"),
        ),
    ]

    class Meta:
        ordering = ["slug"]
        verbose_name = _("barème")
        verbose_name_plural = _("barèmes")

    def __str__(self):
        return f"{self.label} ({self.slug})"

    def to_document(self) -> dict:
        """The ``bareme/1`` document of the rows as they are (maybe not yet valid)."""
        return document_from_rows(
            self,
            list(self.columns.all()),
            list(self.brackets.all()),
            list(self.sibling_reductions.all()),
        )

    def apply_document(self, document: dict) -> None:
        """Set the fields and rows from a valid document; ``save()`` writes them."""
        bareme = load_bareme(document)
        canonical = to_document(bareme)
        deliberation = canonical["deliberation"]
        self.slug = bareme.id
        self.label = bareme.label
        self.unit = bareme.unit
        self.deliberation_reference = deliberation["reference"]
        self.deliberation_date = bareme.deliberation.date
        self.deliberation_url = deliberation["url"] or ""
        self.valid_from = bareme.valid_from
        self.valid_until = bareme.valid_until
        self.qf_rounding = bareme.qf_rounding
        self.pricing_model = bareme.model
        rates = canonical["effort_rate"] or {}
        single_rate = rates if bareme.columns is None else {}
        self.effort_rate = single_rate.get("rate") or ""
        self.effort_floor = single_rate.get("floor") or ""
        self.effort_ceiling = single_rate.get("ceiling") or ""
        self.no_qf_mode = bareme.no_qf.mode
        self.no_qf_price = canonical["no_qf"].get("price", "")
        non_resident = canonical["non_resident"] or {}
        self.non_resident_mode = non_resident.get("mode", "")
        self.non_resident_value = (
            non_resident[NON_RESIDENT_VALUE_KEYS[self.non_resident_mode]]
            if non_resident
            else ""
        )
        siblings = canonical["siblings"] or {}
        self.siblings_not_below_floor = siblings.get("not_below_floor", False)
        self.siblings_applies_to = siblings.get("applies_to", "all")
        self.rounding_step = canonical["rounding"]["step"]
        self.rounding_mode = canonical["rounding"]["mode"]
        per_column_rates = rates if bareme.columns is not None else {}
        self.columns = [
            BaremeColumn.from_document(column, per_column_rates.get(column["key"]))
            for column in canonical["columns"] or []
        ]
        self.brackets = [
            BaremeBracket.from_document(bracket)
            for bracket in canonical["brackets"] or []
        ]
        self.sibling_reductions = [
            BaremeSiblingReduction(
                from_rank=reduction["from_rank"], percent=reduction["percent"]
            )
            for reduction in siblings.get("reductions", [])
        ]
        # The document's order is the grid's: keep it for the admin's inline rows.
        for rows in (self.columns, self.brackets, self.sibling_reductions):
            for position, row in enumerate(rows.all()):
                row.sort_order = position

    @transaction.atomic
    def record_version(self, new: bool = False) -> tuple[BaremeVersion, bool]:
        """Record the saved rows as the latest version; returns it and whether it is new.

        An unchanged document records nothing; an unused latest version is updated in
        place; a locked one (it priced an enrolment) is left alone and a new version is
        created. ``new`` forces a new version (an import of an existing id).
        Raises ``InvalidBareme`` if the rows do not make a valid barème.
        """
        document = to_document(load_bareme(self.to_document()))
        latest = (
            BaremeVersion.objects.select_for_update()
            .filter(bareme=self)
            .order_by("-number")
            .first()
        )
        if latest is not None and not new:
            if latest.document == document:
                return latest, False
            if not latest.locked:
                latest.document = document
                latest.save(update_fields=["document", "updated_at"])
                return latest, False
        version = BaremeVersion.objects.create(
            bareme=self,
            number=1 if latest is None else latest.number + 1,
            document=document,
        )
        return version, True

    @property
    def current_version(self) -> BaremeVersion | None:
        return self.versions.order_by("-number").first()


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
    bareme = ParentalKey(Bareme, on_delete=models.CASCADE, related_name="columns")
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
    bareme = ParentalKey(Bareme, on_delete=models.CASCADE, related_name="brackets")
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
        Bareme, on_delete=models.CASCADE, related_name="sibling_reductions"
    )
    from_rank = models.PositiveSmallIntegerField(
        _("à partir du rang"), validators=[MinValueValidator(1)]
    )
    percent = DecimalTextField(_("réduction (%)"))

    panels = [FieldRowPanel([FieldPanel("from_rank"), FieldPanel("percent")])]

    class Meta(Orderable.Meta):
        verbose_name = _("réduction fratrie")
        verbose_name_plural = _("réductions fratrie")


def document_from_rows(
    bareme: Bareme,
    columns: list[BaremeColumn],
    brackets: list[BaremeBracket],
    reductions: list[BaremeSiblingReduction],
) -> dict:
    """The document the rows describe, as they are: validation says what is wrong."""
    has_columns = bool(columns)
    document = {
        "format": FORMAT,
        "id": bareme.slug,
        "label": bareme.label,
        "unit": bareme.unit,
        "deliberation": {
            "reference": bareme.deliberation_reference,
            "date": _iso(bareme.deliberation_date),
            "url": bareme.deliberation_url or None,
        },
        "valid_from": _iso(bareme.valid_from),
        "valid_until": _iso(bareme.valid_until),
        "qf_rounding": bareme.qf_rounding,
        "model": bareme.pricing_model,
        "columns": [column.document() for column in columns] if has_columns else None,
        "brackets": None,
        "effort_rate": None,
        "no_qf": {"mode": bareme.no_qf_mode},
        "non_resident": None,
        "siblings": None,
        "rounding": {"step": bareme.rounding_step, "mode": bareme.rounding_mode},
    }
    if bareme.pricing_model == PricingModel.EFFORT_RATE:
        if has_columns:
            document["effort_rate"] = {
                column.key: column.rate_document()
                for column in columns
                if column.rate_document() is not None
            }
        else:
            document["effort_rate"] = {
                "rate": bareme.effort_rate or None,
                "floor": bareme.effort_floor or None,
                "ceiling": bareme.effort_ceiling or None,
            }
    else:
        document["brackets"] = [bracket.document(has_columns) for bracket in brackets]
    if bareme.no_qf_mode == NoQfMode.PRICE:
        document["no_qf"]["price"] = bareme.no_qf_price or None
    if bareme.non_resident_mode:
        document["non_resident"] = {
            "mode": bareme.non_resident_mode,
            NON_RESIDENT_VALUE_KEYS[bareme.non_resident_mode]: (
                bareme.non_resident_value or None
            ),
        }
    if reductions:
        document["siblings"] = {
            "reductions": [
                {"from_rank": reduction.from_rank, "percent": reduction.percent}
                for reduction in reductions
            ],
            "not_below_floor": bareme.siblings_not_below_floor,
            "applies_to": bareme.siblings_applies_to,
        }
    return document


class BaremeVersionQuerySet(models.QuerySet):
    def latest_per_bareme(self):
        """The latest version of each barème."""
        latest_number = (
            BaremeVersion.objects.filter(bareme=OuterRef("bareme"))
            .order_by("-number")
            .values("number")[:1]
        )
        return self.filter(number=Subquery(latest_number))


class BaremeVersion(models.Model):
    """A barème exactly as it priced: the document is frozen once ``locked``."""

    bareme = models.ForeignKey(
        Bareme,
        verbose_name=_("barème"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    document = models.JSONField(_("document bareme/1"))
    locked = models.BooleanField(
        _("utilisée"),
        default=False,
        help_text=_(
            "A servi à tarifer une inscription : elle ne change plus, une modification "
            "crée une nouvelle version."
        ),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = BaremeVersionQuerySet.as_manager()

    class Meta:
        ordering = ["bareme", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["bareme", "number"], name="unique_bareme_version_number"
            )
        ]
        verbose_name = _("version de barème")
        verbose_name_plural = _("versions de barème")

    def __str__(self):
        return f"{self.document.get('id', '?')} v{self.number}"

    @cached_property
    def pricing(self) -> PricingBareme:
        return parse_bareme(self.document)

    def quote(self, situation: Situation) -> Quote:
        """The price of ``situation``; ``PricingError`` (French message) if it has none."""
        return quote(self.pricing, situation)

    def is_in_use(self) -> bool:
        """Whether an enrolment was priced with this version (then it never changes)."""
        return self.locked

    def mark_used(self) -> None:
        """Call when this version prices an enrolment: later edits make a new version."""
        if not self.locked:
            BaremeVersion.objects.filter(pk=self.pk).update(locked=True)
            self.locked = True


class ActivityCategory(models.TextChoices):
    CANTEEN = "restauration", _("Restauration scolaire")
    AFTER_SCHOOL = "periscolaire", _("Accueil périscolaire")
    LEISURE_CENTRE = "loisirs", _("Accueil de loisirs")
    STUDY = "etudes", _("Études surveillées")
    CONSERVATORY = "conservatoire", _("Conservatoire")
    SPORT = "sport", _("Sport")
    CULTURE = "culture", _("Culture")
    OTHER = "autre", _("Autre")


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
        from .forms import ActivityFilterForm

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
        from .forms import PriceSimulatorForm
        from .pricing.table import grid_table

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


class ActivityPeriodQuerySet(models.QuerySet):
    def priced(self):
        """The periods a linked barème covers (``Bareme.covers`` of the pricing engine,
        in SQL: a barème's row carries the dates of its latest version)."""
        return self.filter(
            models.Exists(
                ActivityBaremeLink.objects.filter(
                    page=OuterRef("activity"),
                    bareme__valid_from__lte=OuterRef("start"),
                ).filter(
                    models.Q(bareme__valid_until__isnull=True)
                    | models.Q(bareme__valid_until__gte=OuterRef("end"))
                )
            )
        )


class ActivityPeriod(Orderable):
    activity = ParentalKey(
        ActivityPage, on_delete=models.CASCADE, related_name="periods"
    )
    label = models.CharField(
        _("libellé"),
        max_length=100,
        help_text=_("Par exemple « Année scolaire 2025-2026 »."),
    )
    start = models.DateField(_("début"))
    end = models.DateField(_("fin"))
    capacity = models.PositiveIntegerField(_("places"))
    enrolment_opens = models.DateField(_("ouverture des inscriptions"))
    enrolment_closes = models.DateField(_("clôture des inscriptions"))

    objects = ActivityPeriodQuerySet.as_manager()

    panels = [
        FieldPanel("label"),
        FieldRowPanel([FieldPanel("start"), FieldPanel("end"), FieldPanel("capacity")]),
        FieldRowPanel([FieldPanel("enrolment_opens"), FieldPanel("enrolment_closes")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("période")
        verbose_name_plural = _("périodes")

    def __str__(self):
        return self.label

    def clean(self):
        errors = {}
        if self.start and self.end and self.start > self.end:
            errors["end"] = _("La fin de la période doit suivre son début.")
        if (
            self.enrolment_opens
            and self.enrolment_closes
            and self.enrolment_opens > self.enrolment_closes
        ):
            errors["enrolment_closes"] = _(
                "La clôture des inscriptions doit suivre leur ouverture."
            )
        if errors:
            raise ValidationError(errors)

    def enrolment_is_open(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.enrolment_opens <= today <= self.enrolment_closes


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
