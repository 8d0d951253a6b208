"""Régies: who collects what families owe, each with its own invoice numbers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel

DEFAULT_NUMBER_FORMAT = "{code}-{year}-{number:06d}"


def format_number(pattern: str, *, code: str, year: int, number: int) -> str:
    return pattern.format(code=code, year=year, number=number)


class Regie(models.Model):
    """A régie de recettes: it groups services (through their billing rules), numbers
    its invoices without gap each year, and later receives PayFiP payments."""

    name = models.CharField(_("nom"), max_length=150, unique=True)
    code = models.SlugField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("Court, en capitales : « ENF » pour la régie enfance."),
    )
    number_format = models.CharField(
        _("format des numéros de facture"),
        max_length=60,
        default=DEFAULT_NUMBER_FORMAT,
        help_text=_(
            "{code} : code de la régie, {year} : année, {number:06d} : numéro sur six "
            "chiffres. Les avoirs reçoivent le même format précédé de « AV- »."
        ),
    )
    payfip_client_number = models.CharField(
        _("numéro client PayFiP"),
        max_length=20,
        blank=True,
        help_text=_("Donné par la DGFiP ; servira au paiement en ligne."),
    )
    payment_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"),
        default=30,
        help_text=_(
            "La date limite de paiement suit l'émission de ce nombre de jours."
        ),
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("code"),
        FieldPanel("number_format"),
        FieldPanel("payment_days"),
        FieldPanel("payfip_client_number"),
    ]

    class Meta:
        verbose_name = _("régie")
        verbose_name_plural = _("régies")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            sample = format_number(self.number_format, code="X", year=2025, number=1)
        except (KeyError, IndexError, ValueError):
            raise ValidationError(
                {
                    "number_format": _(
                        "Format illisible : utilisez seulement {code}, {year} et "
                        "{number} (par exemple {number:06d})."
                    )
                }
            ) from None
        other = format_number(self.number_format, code="X", year=2025, number=2)
        if sample == other:
            raise ValidationError(
                {"number_format": _("Le format doit contenir le numéro : {number}.")}
            )

    def invoice_number(self, year: int, number: int, *, credit_note=False) -> str:
        text = format_number(
            self.number_format, code=self.code, year=year, number=number
        )
        return f"AV-{text}" if credit_note else text


class NumberSequence(models.Model):
    """The last number given in a régie's series for a year (invoices, credit notes).

    Incremented by one UPDATE inside the transaction that creates the documents: the row
    stays locked until it commits, and a rollback gives its numbers back, so numbers
    have no gap.
    """

    class Series(models.TextChoices):
        INVOICE = "invoice", _("Factures")
        CREDIT_NOTE = "credit_note", _("Avoirs")
        RECEIPT = "receipt", _("Reçus de paiement")

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("année"))
    series = models.CharField(_("série"), max_length=12, choices=Series.choices)
    last = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("compteur de numéros")
        constraints = [
            models.UniqueConstraint(
                fields=["regie", "year", "series"], name="one_sequence_per_regie_year"
            )
        ]
