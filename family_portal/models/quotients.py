"""Quotient familial records and the QF documents families send for agents to check."""

import datetime

from django.conf import settings
from django.contrib import admin
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .families import Family
from .storage import private_storage


class QuotientRecord(models.Model):
    """A quotient familial the portal may price with: its value, source and month.

    We keep what DESIGN.md lists, nothing of the raw API answer.
    """

    class Source(models.TextChoices):
        API = "api", _("API Particulier")
        DOCUMENT = "document", _("Justificatif vérifié par un agent")
        MANUAL = "manual", _("Saisie par un agent")

    class Provider(models.TextChoices):
        CNAF = "CNAF", _("CAF")
        MSA = "MSA", _("MSA")
        TAX = "tax", _("Avis d'imposition")
        OTHER = "other", _("Autre")

    class Status(models.TextChoices):
        ACTIVE = "active", _("En vigueur")
        SUPERSEDED = "superseded", _("Remplacé")

    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="quotients",
        verbose_name=_("famille"),
    )
    value = models.DecimalField(
        _("quotient familial (€)"),
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    provider = models.CharField(_("organisme"), max_length=10, choices=Provider.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    month = models.DateField(_("mois du QF"), help_text=_("Le premier jour du mois."))
    computed_month = models.DateField(_("mois de calcul"), null=True, blank=True)
    retrieved_at = models.DateTimeField(_("obtenu le"), default=timezone.now)
    request_id = models.CharField(
        _("identifiant de requête"), max_length=64, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistré par"),
    )
    document = models.ForeignKey(
        "QfDocument",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotients",
        verbose_name=_("justificatif"),
    )
    tax_year = models.PositiveSmallIntegerField(
        _("année de l'avis"), null=True, blank=True
    )
    formula = models.CharField(_("calcul"), max_length=250, blank=True)
    flags = models.JSONField(_("situations particulières"), default=list, blank=True)
    valid_from = models.DateField(_("valable à partir du"))
    valid_until = models.DateField(_("valable jusqu'au"))
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quotient familial")
        verbose_name_plural = _("quotients familiaux")
        ordering = ["-month", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")),
                name="quotient_validity_in_order",
            )
        ]

    def __str__(self):
        return f"{self.value} € ({self.get_provider_display()}, {self.month:%m/%Y})"

    # API Particulier gives the QF of the month asked for, at most a month or two back,
    # and an attestation is acceptable when less than 3 months old (DOMAIN.md): a QF
    # whose month is more than this before the day it was obtained is far older than
    # either would give (a staging answer, a wrong campaign month, a typing error).
    STALE_AFTER_MONTHS = 3

    @property
    def months_old_when_obtained(self) -> int:
        obtained = timezone.localtime(self.retrieved_at).date()
        return (
            (obtained.year - self.month.year) * 12 + obtained.month - self.month.month
        )

    @property
    def is_stale(self) -> bool:
        """Whether agents must check it: see STALE_AFTER_MONTHS."""
        return self.months_old_when_obtained > self.STALE_AFTER_MONTHS

    @property
    @admin.display(description=_("à vérifier"))
    def stale_warning(self) -> str:
        """The French warning agents see, or ""."""
        if not self.is_stale:
            return ""
        obtained = timezone.localtime(self.retrieved_at).date()
        return (
            f"QF ancien : mois de {date_format(self.month, 'F Y')}, obtenu le "
            f"{obtained:%d/%m/%Y}, soit {self.months_old_when_obtained} mois plus tôt "
            f"(l'API donne le mois en cours ou l'un des deux précédents, une "
            f"attestation doit dater de moins de {self.STALE_AFTER_MONTHS} mois) : "
            "vérifiez-le auprès de la famille."
        )

    @property
    def regime(self):
        """The barème's `regime` word for this QF."""
        return self.provider if self.provider in {"CNAF", "MSA"} else "none"

    @staticmethod
    def school_year_end(day):
        """QFs are valid for the school year: until the next 31 August."""
        year = day.year if day.month < 9 else day.year + 1
        return datetime.date(year, 8, 31)


class QfDocument(models.Model):
    """A CAF/MSA attestation or an avis d'imposition sent by a family, checked by an agent."""

    MAX_SIZE = 5 * 1024 * 1024

    class Kind(models.TextChoices):
        CAF_ATTESTATION = "caf", _("Attestation de quotient familial CAF ou MSA")
        TAX_NOTICE = "tax", _("Avis d'imposition")

    class Status(models.TextChoices):
        PENDING = "pending", _("À vérifier")
        ACCEPTED = "accepted", _("Accepté")
        REJECTED = "rejected", _("Refusé")

    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("famille"),
    )
    kind = models.CharField(
        _("type de justificatif"), max_length=10, choices=Kind.choices
    )
    file = models.FileField(
        _("fichier"), upload_to="justificatifs/%Y/%m/", storage=private_storage
    )
    original_name = models.CharField(_("nom du fichier"), max_length=255, blank=True)
    content_type = models.CharField(_("type"), max_length=50, blank=True)
    uploaded_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("envoyé par"),
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vérifié par"),
    )
    checked_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    rejection_reason = models.TextField(_("motif du refus"), blank=True)

    class Meta:
        verbose_name = _("justificatif de quotient familial")
        verbose_name_plural = _("justificatifs de quotient familial")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.family}"
