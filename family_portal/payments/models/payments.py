"""Money a family paid (``Payment``) and where it went (``Allocation``).

A payment is money received once (cash, a cheque, vouchers, a transfer, PayFiP, a direct
debit) by one régie from one family. Its allocations say where it went: to invoices of
that régie, and what was more than they owed to the family's credit. A row is never
rewritten nor deleted:

- recording: one ``allocation`` row per invoice paid, one ``credit`` row for the rest;
- using credit on a later invoice: two ``credit_use`` rows of the payment the credit
  came from, ``-x`` on the credit (no invoice) and ``+x`` on the invoice;
- a credit note (avoir) leaving an invoice paid beyond its new net amount: two
  ``credited`` rows of the payment that paid it, ``-x`` on the invoice and ``+x`` on the
  credit, naming the credit note;
- cancelling a payment entered by mistake: one ``reversal`` row mirroring each of its
  rows, and the reason, who and when on the payment.

So an invoice's paid amount is the sum of its rows, the family's credit is the sum of
the rows without invoice, and a payment's rows add up to its amount (0 once reversed).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.pricing.formatting import format_money
from family_portal.models import private_storage

from .operations import PaymentOperation

ZERO = Decimal("0.00")


class Method(models.TextChoices):
    CASH = "cash", _("Espèces")
    CHEQUE = "cheque", _("Chèque")
    CESU = "cesu", _("CESU")
    ANCV = "ancv", _("Chèques-vacances (ANCV)")
    TRANSFER = "transfer", _("Virement")
    ONLINE = "online", _("En ligne (PayFiP)")
    DIRECT_DEBIT = "direct_debit", _("Prélèvement")


# Paid at the counter (or by transfer), entered by an agent, with a numbered receipt.
COUNTER_METHODS = (
    Method.CASH,
    Method.CHEQUE,
    Method.CESU,
    Method.ANCV,
    Method.TRANSFER,
)


class Payment(models.Model):
    """Money received once from a family by a régie."""

    Method = Method

    regie = models.ForeignKey(
        "billing.Regie", on_delete=models.PROTECT, related_name="payments"
    )
    family = models.ForeignKey(
        "family_portal.Family", on_delete=models.PROTECT, related_name="payments"
    )
    method = models.CharField(_("moyen"), max_length=12, choices=Method.choices)
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    received_on = models.DateField(_("reçu le"))
    reference = models.CharField(
        _("référence"),
        max_length=60,
        blank=True,
        help_text=_(
            "Numéro du chèque, référence du virement, numéros des titres (CESU, ANCV)."
        ),
    )
    bank = models.CharField(_("banque"), max_length=80, blank=True)
    payer = models.CharField(
        _("payeur"),
        max_length=150,
        blank=True,
        help_text=_("Si ce n'est pas un responsable de la famille (tireur du chèque)."),
    )
    note = models.TextField(_("remarque"), blank=True)
    operation = models.OneToOneField(
        PaymentOperation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment",
    )
    receipt_number = models.CharField(_("numéro de reçu"), max_length=60, blank=True)
    receipt_pdf = models.FileField(
        _("reçu (PDF)"), upload_to="recus/%Y/%m/", storage=private_storage, blank=True
    )
    recorded_at = models.DateTimeField(_("enregistré le"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistré par"),
        help_text=_("Vide pour un paiement en ligne : PayFiP l'a confirmé."),
    )
    reversed_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulé par"),
    )
    reversal_reason = models.TextField(_("motif de l'annulation"), blank=True)

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["-received_on", "-recorded_at"]
        permissions = [
            ("record_counter_payment", "Enregistrer les paiements au guichet"),
        ]
        indexes = [models.Index(fields=["family", "regie"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(method="online", operation__isnull=False)
                | (~Q(method="online") & Q(operation__isnull=True)),
                name="online_payment_has_its_operation",
            ),
            models.CheckConstraint(
                condition=~Q(method="cheque") | ~Q(reference=""),
                name="cheque_has_its_number",
            ),
            models.CheckConstraint(
                condition=Q(reversed_at__isnull=True)
                | (~Q(reversal_reason="") & ~Q(method="online")),
                name="reversal_has_its_reason",
            ),
            models.UniqueConstraint(
                fields=["regie", "receipt_number"],
                condition=~Q(receipt_number=""),
                name="unique_receipt_number",
            ),
        ]

    def __str__(self):
        return f"{format_money(self.amount)} — {self.get_method_display()}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None

    @property
    def has_receipt(self) -> bool:
        return bool(self.receipt_number)


class Allocation(models.Model):
    """Part of a payment on an invoice (or, without invoice, on the family's credit)."""

    class Kind(models.TextChoices):
        ALLOCATION = "allocation", _("Affecté à la facture")
        CREDIT = "credit", _("Trop-perçu mis en avoir")
        CREDIT_USE = "credit_use", _("Avoir utilisé")
        CREDITED = "credited", _("Trop-perçu après un avoir sur la facture")
        REVERSAL = "reversal", _("Annulation")

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="allocations"
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        help_text=_("Vide : l'avoir de la famille (trop-perçu)."),
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    on = models.DateField(
        _("date de valeur"),
        help_text=_(
            "Le jour où l'argent a payé la facture : la réception du paiement, ou "
            "le jour où l'avoir a servi."
        ),
    )
    credit_note = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("avoir"),
        help_text=_("L'avoir qui a rendu ce montant à la famille (type « credited »)."),
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("annule"),
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )

    class Meta:
        verbose_name = _("affectation d'un paiement")
        verbose_name_plural = _("affectations des paiements")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0), name="allocation_amount_not_zero"
            ),
            models.CheckConstraint(
                condition=~Q(kind="allocation")
                | Q(invoice__isnull=False, amount__gt=0),
                name="allocation_pays_an_invoice",
            ),
            models.CheckConstraint(
                condition=~Q(kind="credit") | Q(invoice__isnull=True, amount__gt=0),
                name="credit_is_an_overpayment",
            ),
            models.CheckConstraint(
                condition=~Q(kind="credit_use")
                | Q(invoice__isnull=True, amount__lt=0)
                | Q(invoice__isnull=False, amount__gt=0),
                name="credit_use_moves_credit_to_an_invoice",
            ),
            models.CheckConstraint(
                condition=~Q(kind="credited")
                | Q(invoice__isnull=False, amount__lt=0, credit_note__isnull=False)
                | Q(invoice__isnull=True, amount__gt=0, credit_note__isnull=False),
                name="credited_moves_an_invoice_to_credit",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "allocation",
                        "credit",
                        "credit_use",
                        "credited",
                        "reversal",
                    ]
                ),
                name="allocation_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="reversal_mirrors_one_row",
            ),
        ]

    def __str__(self):
        target = self.invoice or _("avoir")
        return f"{format_money(self.amount)} → {target}"
