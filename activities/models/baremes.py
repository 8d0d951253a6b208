"""Barèmes as agents edit them, and the ``bareme/1`` document their rows describe.

A ``Bareme`` is what agents edit in the admin: its fields and inline rows (columns, brackets,
sibling reductions) map one to one onto a ``bareme/1`` document. Each save records the
document in a ``BaremeVersion``; a version that has priced an enrolment is locked and never
changes again: the next edit records a new version. Pages and enrolments price with versions.
"""

from __future__ import annotations

import datetime

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel

from ..choices import (
    NonResidentMode,
    NoQfMode,
    PricingModel,
    QfRounding,
    RoundingMode,
    SiblingsAppliesTo,
)
from ..fields import DecimalTextField
from ..pricing import load_bareme, to_document
from ..pricing.model import FORMAT, NON_RESIDENT_VALUE_KEYS
from .bareme_rows import BaremeBracket, BaremeColumn, BaremeSiblingReduction
from .versions import BaremeVersion


def _iso(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


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

    def to_document(self, columns=None, brackets=None, reductions=None) -> dict:
        """The ``bareme/1`` document of the rows as they are (maybe not yet valid): the
        saved rows, or those given (the admin form's, before they are saved)."""
        return document_from_rows(
            self,
            list(self.columns.all()) if columns is None else columns,
            list(self.brackets.all()) if brackets is None else brackets,
            list(self.sibling_reductions.all()) if reductions is None else reductions,
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
