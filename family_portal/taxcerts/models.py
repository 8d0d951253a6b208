"""Tax certificates, frozen once issued (their content is the French text printed), the
year's number sequence, and the background jobs that issue and print them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from family_portal.models import BackgroundJob, private_storage


class TaxCertificate(models.Model):
    """A family's certificate for one calendar year. Never edited: when the amounts
    change (a payment recorded late), the next issue replaces it with a new number."""

    class Status(models.TextChoices):
        CURRENT = "current", _("En vigueur")
        REPLACED = "replaced", _("Remplacée")

    family = models.ForeignKey(
        "family_portal.Family",
        on_delete=models.PROTECT,
        related_name="tax_certificates",
        verbose_name=_("famille"),
    )
    year = models.PositiveIntegerField(_("année des paiements"))
    number = models.CharField(_("numéro"), max_length=30, unique=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.CURRENT
    )
    total = models.DecimalField(_("total payé"), max_digits=10, decimal_places=2)
    content = models.JSONField(_("contenu"))
    issued_at = models.DateTimeField(_("émise le"), default=timezone.now)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pdf = models.FileField(
        _("PDF"),
        upload_to="attestations-fiscales/%Y/",
        storage=private_storage,
        blank=True,
    )

    class Meta:
        verbose_name = _("attestation fiscale")
        verbose_name_plural = _("attestations fiscales")
        ordering = ["-year", "family__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "year"],
                condition=models.Q(status="current"),
                name="one_current_tax_certificate",
            )
        ]

    def __str__(self):
        return f"Attestation fiscale {self.number}"


class TaxCertificateSequence(models.Model):
    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)


class TaxCertificateJob(BackgroundJob):
    """Issuing a year's certificates (batches of families, one task each) or printing
    them in one PDF."""

    class Kind(models.TextChoices):
        ISSUE = "issue", _("Émission")
        PRINT = "print", _("Impression")

    kind = models.CharField(_("travail"), max_length=5, choices=Kind.choices)
    year = models.PositiveIntegerField(_("année des paiements"))
    file = models.FileField(
        _("fichier"),
        upload_to="attestations-fiscales/lots/%Y/",
        storage=private_storage,
        blank=True,
    )
    issued = models.PositiveIntegerField(_("attestations émises"), default=0)

    class Meta:
        verbose_name = _("travail sur les attestations fiscales")
        verbose_name_plural = _("travaux sur les attestations fiscales")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} des attestations fiscales {self.year}"


__all__ = ["TaxCertificate", "TaxCertificateJob", "TaxCertificateSequence"]
