"""Tariff certificates (attestations de tarif), their numbering and printing batches.

Services, rendering and views live in family_portal/certificates/.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enrolments import Enrolment
from .jobs import BackgroundJob
from .storage import private_storage


class CertificateNumberSequence(models.Model):
    """The last certificate number given in a year: numbers are ATT-<year>-<000123>."""

    year = models.PositiveSmallIntegerField(_("année"), primary_key=True)
    last = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("compteur d'attestations")
        verbose_name_plural = _("compteurs d'attestations")

    def __str__(self):
        return f"{self.year} : {self.last}"


class Certificate(models.Model):
    """A tariff certificate as issued: its content is frozen and never edited.

    When the price of the enrolment changes, a new certificate (with a new number)
    replaces it; an agent may also revoke it. `content` holds every printed value, so
    the PDF can be rendered again exactly as issued; the PDF itself is kept in `pdf`
    once laid out, and deleted with the row.
    """

    class Status(models.TextChoices):
        CURRENT = "current", _("En vigueur")
        REPLACED = "replaced", _("Remplacée")
        REVOKED = "revoked", _("Annulée")

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    token = models.CharField(_("code de vérification"), max_length=64, editable=False)
    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("inscription"),
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.CURRENT
    )
    snapshot_digest = models.CharField(_("empreinte du tarif"), max_length=64)
    content = models.JSONField(_("contenu"))
    amount = models.DecimalField(_("tarif"), max_digits=9, decimal_places=2)
    unit = models.CharField(_("unité"), max_length=50)
    valid_from = models.DateField(_("valable à partir du"))
    valid_until = models.DateField(_("valable jusqu'au"))
    issued_at = models.DateTimeField(_("délivrée le"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("délivrée par"),
    )
    replaced_by = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("remplacée par"),
    )
    ended_at = models.DateTimeField(_("remplacée ou annulée le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulée par"),
    )
    revocation_reason = models.TextField(_("motif de l'annulation"), blank=True)
    # The PDF as laid out once, at issue: what the family downloads and agents print.
    pdf = models.FileField(
        _("PDF"),
        upload_to="attestations/%Y/%m/",
        storage=private_storage,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("attestation de tarif")
        verbose_name_plural = _("attestations de tarif")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            # Never two certificates in force for one enrolment.
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=Q(status="current"),
                name="one_current_certificate_per_enrolment",
            )
        ]
        permissions = [
            (
                "print_certificate",
                _("Peut délivrer, imprimer et annuler les attestations de tarif"),
            )
        ]

    def __str__(self):
        return self.number


@receiver(post_delete, sender=Certificate, dispatch_uid="certificate-pdf-delete")
def _delete_certificate_pdf(sender, instance, **kwargs):
    # The PDF names the family: it goes with its row, never left behind.
    if instance.pdf:
        instance.pdf.delete(save=False)


class CertificateBatch(BackgroundJob):
    """A batch of certificates printed as one PDF by a background task."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    activity = models.ForeignKey(
        "activities.ActivityPage",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("activité"),
    )
    period = models.ForeignKey(
        "activities.ActivityPeriod",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("période"),
    )
    school = models.CharField(_("école"), max_length=150, blank=True)
    total = models.PositiveIntegerField(_("attestations"), default=0)
    done = models.PositiveIntegerField(_("attestations prêtes"), default=0)
    file = models.FileField(
        _("fichier"),
        upload_to="attestations/lots/%Y/%m/",
        storage=private_storage,
        blank=True,
    )

    class Meta:
        verbose_name = _("lot d'attestations")
        verbose_name_plural = _("lots d'attestations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.activity} — {self.created_at:%d/%m/%Y %H:%M}"


@receiver(post_delete, sender=CertificateBatch, dispatch_uid="certificate-batch-delete")
def _delete_batch_file(sender, instance, **kwargs):
    if instance.file:
        instance.file.delete(save=False)
