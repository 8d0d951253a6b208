"""Monthly runs of a régie: the dry run agents review and the real run that issues the
invoices, split into batches of families that background workers share."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from family_portal.models import BackgroundJob

from .regies import Regie


class BillingRun(BackgroundJob):
    """One régie's month, computed (dry run) or invoiced (real run)."""

    regie = models.ForeignKey(
        Regie, on_delete=models.PROTECT, related_name="runs", verbose_name=_("régie")
    )
    month = models.DateField(_("mois facturé"), help_text=_("Le premier jour du mois."))
    dry_run = models.BooleanField(_("simulation"), default=True)
    issue_date = models.DateField(_("date d'émission"), null=True, blank=True)
    due_date = models.DateField(_("date limite de paiement"), null=True, blank=True)
    invoices = models.PositiveIntegerField(_("factures émises"), default=0)
    amount = models.DecimalField(
        _("montant facturé"), max_digits=12, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("facturation mensuelle")
        verbose_name_plural = _("facturations mensuelles")
        ordering = ["-month", "regie", "-created_at"]
        constraints = [
            # One real run per régie and month: a second start resumes the first.
            models.UniqueConstraint(
                fields=["regie", "month"],
                condition=Q(dry_run=False),
                name="one_real_run_per_regie_month",
            )
        ]

    def __str__(self):
        kind = "simulation" if self.dry_run else "facturation"
        return f"{self.regie} — {kind} de {self.month:%m/%Y}"


class RunBatch(models.Model):
    """A batch of families of a run: one background task, one transaction."""

    run = models.ForeignKey(
        BillingRun, on_delete=models.CASCADE, related_name="batches"
    )
    index = models.PositiveIntegerField()
    family_ids = models.JSONField()
    done = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A batch added later to re-run families left "À corriger" issues its invoices on
    # the day it was started (None: the run's dates).
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="one_batch_per_index")
        ]


class RunFamily(models.Model):
    """What a run found for one family: its total, last month's, the anomalies to look
    at and (dry run) the lines it would invoice."""

    class Outcome(models.TextChoices):
        INVOICED = "invoiced", _("Facturée")
        CARRIED = "carried", _("Reportée (sous le minimum)")
        NOTHING = "nothing", _("Rien à facturer")
        ERROR = "error", _("À corriger")

    run = models.ForeignKey(
        BillingRun, on_delete=models.CASCADE, related_name="families"
    )
    family = models.ForeignKey(
        "family_portal.Family", on_delete=models.CASCADE, related_name="+"
    )
    outcome = models.CharField(_("résultat"), max_length=10, choices=Outcome.choices)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2)
    previous_total = models.DecimalField(
        _("mois précédent"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    anomalies = models.JSONField(_("points à vérifier"), default=list)
    preview = models.JSONField(_("aperçu"), default=dict)
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["run", "family__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "family"], name="one_result_per_family"
            )
        ]

    @property
    def change(self):
        if self.previous_total is None:
            return None
        return self.total - self.previous_total
