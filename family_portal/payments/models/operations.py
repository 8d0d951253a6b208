"""Online payment operations (PayFiP).

A ``PaymentOperation`` is what we asked PayFiP for (its ``idOp``, our ``refdet``, the
amount in cents) and what PayFiP answered about it. The payment it gives points to it
(one payment per operation at most: the database refuses a second one, whatever two
notifications do at once).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OperationStatus(models.TextChoices):
    WAITING = "waiting", _("En attente")
    PAID = "paid", _("Payée")
    REFUSED = "refused", _("Refusée")
    ABANDONED = "abandoned", _("Abandonnée")
    EXPIRED = "expired", _("Expirée")
    ANOMALY = "anomaly", _("Anomalie (refusée, à vérifier)")


PENDING = (OperationStatus.WAITING,)
FINAL = (
    OperationStatus.PAID,
    OperationStatus.REFUSED,
    OperationStatus.ABANDONED,
    OperationStatus.EXPIRED,
    OperationStatus.ANOMALY,
)


class PaymentOperation(models.Model):
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="payment_operations"
    )
    idop = models.CharField("idOp", max_length=64, unique=True)
    refdet = models.CharField(_("référence (refdet)"), max_length=30, unique=True)
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    email = models.EmailField(_("courriel du payeur"))
    status = models.CharField(
        _("état"),
        max_length=12,
        choices=OperationStatus.choices,
        default=OperationStatus.WAITING,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    checked_at = models.DateTimeField(_("vérifiée le"), null=True, blank=True)
    settled_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    # PayFiP's answer (recupererDetailPaiementSecurise), as it came.
    resultrans = models.CharField("resultrans", max_length=1, blank=True)
    answer_amount = models.CharField(_("montant répondu"), max_length=12, blank=True)
    answer_refdet = models.CharField(_("refdet répondu"), max_length=30, blank=True)
    numauto = models.CharField(_("n° d'autorisation"), max_length=20, blank=True)
    dattrans = models.CharField("dattrans", max_length=8, blank=True)
    heurtrans = models.CharField("heurtrans", max_length=4, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=200, blank=True)
    # Set by PayFiP's notification, cleared when a check takes it (notifications.py).
    notified_at = models.DateTimeField(_("notifiée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("opération PayFiP")
        verbose_name_plural = _("opérations PayFiP")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="waiting"),
                name="one_pending_online_payment_per_invoice",
            )
        ]
        indexes = [
            # The operations a notification asks to check: a handful among all.
            models.Index(
                fields=["notified_at"],
                condition=Q(notified_at__isnull=False),
                name="payments_op_notified",
            )
        ]

    def __str__(self):
        return f"{self.refdet} ({self.get_status_display()})"

    @property
    def amount_euros(self):
        from decimal import Decimal

        return Decimal(self.amount_cents) / 100
