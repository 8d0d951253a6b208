"""Invoices and credit notes, their lines, and the corrections waiting for the next one.

A sent invoice is never rewritten: a credit note (``Invoice`` of kind ``credit_note``)
is issued against it, or a correction line goes on the next invoice. Each row says who
made it and when.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from family_portal.models import private_storage

from .regies import Regie
from .rules import RulesVersion
from .runs import BillingRun

ZERO = Decimal("0.00")


class InvoiceStatus(models.TextChoices):
    TO_PAY = "to_pay", _("À payer")
    PARTLY_PAID = "partly_paid", _("Partiellement payée")
    PAID = "paid", _("Payée")
    OVERDUE = "overdue", _("En retard")
    CREDITED = "credited", _("Annulée par avoir")
    CREDIT_NOTE = "credit_note", _("Avoir")


class Invoice(models.Model):
    """A numbered invoice (or credit note) of a régie to a family."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Facture")
        CREDIT_NOTE = "credit_note", _("Avoir")

    kind = models.CharField(
        _("type"), max_length=12, choices=Kind.choices, default=Kind.INVOICE
    )
    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="invoices")
    family = models.ForeignKey(
        "family_portal.Family", on_delete=models.PROTECT, related_name="invoices"
    )
    month = models.DateField(_("mois"), null=True, blank=True)
    number = models.CharField(_("numéro"), max_length=60)
    issue_date = models.DateField(_("émise le"))
    due_date = models.DateField(_("à payer avant le"), null=True, blank=True)
    total = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    paid_amount = models.DecimalField(
        _("montant payé"),
        max_digits=10,
        decimal_places=2,
        default=0,
        help_text=_(
            "Somme des affectations des paiements (PayFiP, guichet, prélèvement), "
            "tenue à jour par les paiements."
        ),
    )
    run = models.ForeignKey(
        BillingRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued",
    )
    credited_invoice = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("facture annulée"),
    )
    reason = models.TextField(_("motif"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("émise par"),
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    pdf = models.FileField(
        _("PDF"), upload_to="factures/%Y/%m/", storage=private_storage, blank=True
    )
    emailed_at = models.DateTimeField(
        _("envoyée par courriel le"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-issue_date", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["regie", "number"], name="unique_invoice_number"
            ),
            models.UniqueConstraint(
                fields=["regie", "family", "month"],
                condition=Q(kind="invoice"),
                name="one_invoice_per_family_month",
            ),
            # The payments app keeps it (the sum of its allocations) under lock; the
            # database refuses, whatever happens at once, more than the invoice.
            models.CheckConstraint(
                condition=Q(paid_amount=0)
                | Q(paid_amount__gt=0, paid_amount__lte=F("total")),
                name="paid_amount_within_total",
            ),
        ]
        indexes = [models.Index(fields=["family", "issue_date"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    def credited(self) -> Decimal:
        annotated = getattr(self, "credited_total", None)
        if annotated is not None:
            return annotated
        total = self.credit_notes.aggregate(total=Sum("total"))["total"]
        return total or ZERO

    def outstanding(self) -> Decimal:
        """What the family still owes on it: amount, minus credit notes and payments."""
        if self.is_credit_note:
            return ZERO
        return max(self.total - self.credited() - self.paid_amount, ZERO)

    def status(self, today=None) -> str:
        if self.is_credit_note:
            return InvoiceStatus.CREDIT_NOTE
        credited = self.credited()
        if credited >= self.total:
            return InvoiceStatus.CREDITED
        if self.outstanding() <= 0:
            return InvoiceStatus.PAID
        if self.paid_amount > 0:
            return InvoiceStatus.PARTLY_PAID
        today = today or timezone.localdate()
        if self.due_date and self.due_date < today:
            return InvoiceStatus.OVERDUE
        return InvoiceStatus.TO_PAY

    def status_label(self, today=None) -> str:
        return InvoiceStatus(self.status(today)).label


class ServiceMonth(models.Model):
    """A child's month in one service, as a real run billed it: invoiced on ``invoice``,
    or carried over (under the minimum) to the next month."""

    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, related_name="+")
    family = models.ForeignKey(
        "family_portal.Family", on_delete=models.PROTECT, related_name="+"
    )
    child = models.ForeignKey(
        "family_portal.Child", on_delete=models.PROTECT, related_name="+"
    )
    activity = models.ForeignKey(
        "activities.ActivityPage", on_delete=models.PROTECT, related_name="+"
    )
    enrolment = models.ForeignKey(
        "family_portal.Enrolment", on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("mois"))
    rules_version = models.ForeignKey(
        RulesVersion, on_delete=models.PROTECT, related_name="+"
    )
    tariff = models.TextField(_("tarif appliqué"))
    carried_in = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    invoiced = models.BooleanField()
    carried_over = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sections",
    )

    class Meta:
        ordering = ["child__birth_date", "child_id", "activity_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "activity", "month"], name="one_service_month"
            )
        ]


class InvoiceLine(models.Model):
    """One line: an occurrence of a service, a late pick-up, an amount carried in, a
    regularisation of a settled price, a correction, or a credit note's line."""

    ENGINE = "engine"
    CARRIED_IN = "carried_in"
    REGULARISATION = "regularisation"
    CORRECTION = "correction"
    CREDIT = "credit"

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="lines"
    )
    section = models.ForeignKey(
        ServiceMonth,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
    )
    position = models.PositiveIntegerField(default=0)
    child = models.ForeignKey(
        "family_portal.Child",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    activity = models.ForeignKey(
        "activities.ActivityPage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    enrolment = models.ForeignKey(
        "family_portal.Enrolment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    date = models.DateField(_("date"))
    case = models.CharField(_("cas"), max_length=20)
    quantity = models.DecimalField(_("quantité"), max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(
        _("prix unitaire"), max_digits=10, decimal_places=2
    )
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    explanation = models.TextField(_("explication"))
    base_price = models.DecimalField(
        _("tarif de l'inscription"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
    )
    rules_version = models.ForeignKey(
        RulesVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    regularised_month = models.DateField(_("mois régularisé"), null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["enrolment", "case"])]


class Adjustment(models.Model):
    """A correction an agent wants on the family's next invoice of the régie (a sum
    forgotten, a gesture): signed, with its reason; ``line`` once it is invoiced."""

    regie = models.ForeignKey(Regie, on_delete=models.PROTECT, related_name="+")
    family = models.ForeignKey(
        "family_portal.Family", on_delete=models.PROTECT, related_name="+"
    )
    child = models.ForeignKey(
        "family_portal.Child",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    reason = models.TextField(_("motif"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("par"),
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)
    line = models.OneToOneField(
        InvoiceLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("correction sur la prochaine facture")
        verbose_name_plural = _("corrections sur la prochaine facture")
        ordering = ["created_at"]
