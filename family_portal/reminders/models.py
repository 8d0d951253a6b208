"""The reminders sent about an unpaid invoice: one row per invoice and level, written in
the transaction that sends the e-mail, so a level is never sent twice."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Reminder(models.Model):
    class Level(models.IntegerChoices):
        FIRST = 1, _("Première relance")
        SECOND = 2, _("Deuxième relance")

    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="reminders"
    )
    level = models.PositiveSmallIntegerField(_("relance"), choices=Level.choices)
    sent_at = models.DateTimeField(_("envoyée le"), default=timezone.now)
    recipients = models.TextField(
        _("destinataires"),
        blank=True,
        help_text=_("Vide : la famille n'a aucune adresse, rien n'a été envoyé."),
    )
    amount_due = models.DecimalField(
        _("montant réclamé"), max_digits=10, decimal_places=2
    )

    class Meta:
        verbose_name = _("relance")
        verbose_name_plural = _("relances")
        ordering = ["invoice", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "level"], name="one_reminder_per_invoice_level"
            )
        ]

    def __str__(self):
        return f"{self.get_level_display()} — {self.invoice}"

    @property
    def delivered(self) -> bool:
        return bool(self.recipients)
