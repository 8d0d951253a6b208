"""Mandates (SEPA Core, recurrent) signed by families, their trail, the debit files
agents export and the debits the banks returned.

A mandate is never rewritten: revoking, suspending or replacing it ends it, and a new
one (a new reference, first debit FRST again) takes its place. An invoice is in one
debit at most (``DebitLine.invoice`` is unique): it is never debited twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .identifiers import masked_iban


class Mandate(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Actif")
        REVOKED = "revoked", _("Révoqué par la famille")
        REPLACED = "replaced", _("Remplacé par un nouveau mandat")
        SUSPENDED = "suspended", _("Suspendu (compte clos ou mandat refusé)")

    family = models.ForeignKey(
        "family_portal.Family", on_delete=models.PROTECT, related_name="mandates"
    )
    reference = models.CharField(
        _("référence unique du mandat (RUM)"), max_length=35, unique=True
    )
    creditor_id = models.CharField(_("identifiant créancier SEPA (ICS)"), max_length=35)
    holder_name = models.CharField(_("titulaire du compte"), max_length=70)
    street = models.CharField(_("adresse"), max_length=140)
    postcode = models.CharField(_("code postal"), max_length=16)
    city = models.CharField(_("commune"), max_length=70)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11, blank=True)
    signed_on = models.DateField(_("signé le"))
    signed_at = models.DateTimeField(_("signé à"), default=timezone.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("signé par"),
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    ended_at = models.DateTimeField(_("fin le"), null=True, blank=True)

    class Meta:
        verbose_name = _("mandat de prélèvement")
        verbose_name_plural = _("mandats de prélèvement")
        ordering = ["-signed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(status="active"),
                name="one_active_mandate_per_family",
            )
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def masked_iban(self) -> str:
        return masked_iban(self.iban)

    @property
    def iban_end(self) -> str:
        return self.iban[-4:]


class MandateEvent(models.Model):
    """The mandate's trail: signed, revoked, replaced, suspended, by whom and why."""

    class Kind(models.TextChoices):
        SIGNED = "signed", _("Signé en ligne")
        REVOKED = "revoked", _("Révoqué")
        REPLACED = "replaced", _("Remplacé")
        SUSPENDED = "suspended", _("Suspendu après un rejet")

    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("événement"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("le"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    by_agent = models.BooleanField(_("par un agent"), default=False)
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        verbose_name = _("événement d'un mandat")
        verbose_name_plural = _("événements des mandats")
        ordering = ["at", "pk"]


class DebitBatch(models.Model):
    """One pain.008 file an agent exported: who, when, what (its lines), the file."""

    message_id = models.CharField(
        _("identifiant du message"), max_length=35, unique=True
    )
    created_at = models.DateTimeField(_("exporté le"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("exporté par"),
    )
    creditor_id = models.CharField(_("ICS"), max_length=35)
    total = models.DecimalField(_("montant total"), max_digits=12, decimal_places=2)
    count = models.PositiveIntegerField(_("prélèvements"))
    content = models.TextField(_("fichier pain.008"))

    class Meta:
        verbose_name = _("fichier de prélèvements")
        verbose_name_plural = _("fichiers de prélèvements")
        ordering = ["-created_at", "-pk"]
        permissions = [("export_debitbatch", "Exporter les fichiers de prélèvements")]

    def __str__(self):
        return f"Prélèvements du {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"

    @property
    def filename(self) -> str:
        return f"prelevements-{timezone.localtime(self.created_at):%Y%m%d-%H%M}-{self.pk}.xml"


class DebitLine(models.Model):
    """One invoice debited in a batch: the amount, the mandate, FRST or RCUR, the
    collection date; the payment recorded on that date; the return, if any."""

    class Sequence(models.TextChoices):
        FIRST = "FRST", _("Premier prélèvement (FRST)")
        RECURRENT = "RCUR", _("Prélèvement suivant (RCUR)")

    class Status(models.TextChoices):
        SENT = "sent", _("Transmis à la banque")
        COLLECTED = "collected", _("Prélevé")
        RETURNED = "returned", _("Rejeté")

    batch = models.ForeignKey(
        DebitBatch, on_delete=models.PROTECT, related_name="lines"
    )
    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, related_name="direct_debit"
    )
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="debits"
    )
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    sequence = models.CharField(_("séquence"), max_length=4, choices=Sequence.choices)
    collection_date = models.DateField(_("date de prélèvement"))
    end_to_end_id = models.CharField(
        _("référence de bout en bout"), max_length=35, unique=True
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.SENT
    )
    payment = models.OneToOneField(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="direct_debit",
    )

    class Meta:
        verbose_name = _("prélèvement")
        verbose_name_plural = _("prélèvements")
        ordering = ["collection_date", "pk"]
        indexes = [models.Index(fields=["status", "collection_date"])]


class DebitReturn(models.Model):
    """A debit the bank returned (rejet, retour, remboursement), entered by an agent."""

    line = models.OneToOneField(DebitLine, on_delete=models.PROTECT, related_name="ret")
    reason_code = models.CharField(_("code motif"), max_length=4)
    returned_on = models.DateField(_("rejeté le"))
    note = models.TextField(_("remarque"), blank=True)
    entered_at = models.DateTimeField(_("saisi le"), default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("saisi par"),
    )
    family_told_at = models.DateTimeField(
        _("famille prévenue le"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("prélèvement rejeté")
        verbose_name_plural = _("prélèvements rejetés")
        ordering = ["-entered_at"]
