"""Enrolments, their frozen tariff snapshot and the audit trail of its changes.

The tariff of an enrolment is frozen in a snapshot (amount, unit, barème version,
délibération, QF used and its source, explanation) when it is confirmed: later barème
edits never change it silently; a re-pricing replaces it with an audit trail.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .families import Child, Family, Residence
from .quotients import QuotientRecord

# The snapshot fields that an audit row records before and after a change.
SNAPSHOT_FIELDS = (
    "status",
    "amount",
    "unit",
    "bareme_version_id",
    "deliberation_reference",
    "qf_value",
    "qf_month",
    "qf_provider",
    "qf_source",
    "column",
    "bracket",
    "child_rank",
    "residence",
)


class EnrolmentQuerySet(models.QuerySet):
    def holding_place(self):
        return self.filter(status__in=Enrolment.PLACE_HOLDING)

    def active(self):
        return self.exclude(status=Enrolment.Status.CANCELLED)


class Enrolment(models.Model):
    """One child in one period of one activity, with its frozen tariff snapshot."""

    class Status(models.TextChoices):
        # Said of the enrolment, never of the child: no gender to guess.
        CONFIRMED = "confirmed", _("Inscription confirmée")
        QF_PENDING = "qf_pending", _("Inscription confirmée — QF à vérifier")
        WAITING = "waiting", _("Liste d'attente")
        CANCELLED = "cancelled", _("Inscription annulée")

    class QfSource(models.TextChoices):
        RECORD = "record", _("Quotient familial enregistré")
        API = "api", _("API Particulier")
        DOCUMENT = "document", _("Justificatif envoyé")
        NONE = "none", _("Sans quotient familial")
        UNAVAILABLE = "unavailable", _("API indisponible : tarif provisoire")

    PLACE_HOLDING = (Status.CONFIRMED, Status.QF_PENDING)

    reference = models.UUIDField(
        _("référence"), default=uuid.uuid4, unique=True, editable=False
    )
    family = models.ForeignKey(
        Family,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("famille"),
    )
    child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("enfant"),
    )
    period = models.ForeignKey(
        "activities.ActivityPeriod",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("période"),
    )
    status = models.CharField(_("état"), max_length=12, choices=Status.choices)
    waiting_since = models.DateTimeField(_("en attente depuis"), null=True, blank=True)
    qf_source = models.CharField(
        _("origine du QF"), max_length=12, choices=QfSource.choices
    )
    quotient = models.ForeignKey(
        QuotientRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("quotient familial utilisé"),
    )
    child_rank = models.PositiveSmallIntegerField(
        _("rang de l'enfant"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    residence = models.CharField(
        _("résidence"), max_length=20, choices=Residence.choices
    )
    # The frozen tariff snapshot.
    bareme_version = models.ForeignKey(
        "activities.BaremeVersion",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("barème appliqué"),
    )
    amount = models.DecimalField(_("tarif"), max_digits=9, decimal_places=2)
    unit = models.CharField(_("unité"), max_length=50)
    deliberation_reference = models.CharField(_("délibération"), max_length=100)
    deliberation_date = models.DateField(_("date de la délibération"))
    qf_value = models.DecimalField(
        _("QF retenu"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    qf_month = models.DateField(_("mois du QF"), null=True, blank=True)
    qf_provider = models.CharField(_("organisme du QF"), max_length=10, blank=True)
    column = models.CharField(_("colonne"), max_length=100, blank=True)
    bracket = models.CharField(_("tranche"), max_length=150, blank=True)
    explanation = models.JSONField(_("explication"), default=list)
    priced_at = models.DateTimeField(_("tarif calculé le"), default=timezone.now)
    price_overridden = models.BooleanField(
        _("tarif corrigé par un agent"), default=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("inscrit par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["-created_at"]
        constraints = [
            # One enrolment per child and period: a double submit creates nothing more.
            models.UniqueConstraint(
                fields=["child", "period"],
                condition=~Q(status="cancelled"),
                name="one_enrolment_per_child_and_period",
            )
        ]
        indexes = [models.Index(fields=["period", "status", "waiting_since"])]

    def __str__(self):
        return f"{self.child} — {self.period}"

    @cached_property
    def waiting_position(self):
        if self.status != self.Status.WAITING:
            return None
        return (
            Enrolment.objects.filter(
                period_id=self.period_id,
                status=self.Status.WAITING,
                waiting_since__lt=self.waiting_since,
            ).count()
            + 1
        )


class EnrolmentPriceChange(models.Model):
    """The audit trail of an enrolment's tariff: who changed it, when, why, before/after."""

    class Kind(models.TextChoices):
        QF_ARRIVED = "qf_arrived", _("Quotient familial reçu")
        OVERRIDE = "override", _("Tarif corrigé par un agent")
        BAREME_CORRECTION = "bareme", _("Correction du barème")
        QF_REFRESH = "qf_refresh", _("Mise à jour annuelle du QF")

    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.CASCADE,
        related_name="price_changes",
        verbose_name=_("inscription"),
    )
    kind = models.CharField(_("motif"), max_length=12, choices=Kind.choices)
    reason = models.TextField(_("explication"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifié par"),
    )
    changed_at = models.DateTimeField(_("modifié le"), default=timezone.now)
    before = models.JSONField(_("avant"))
    after = models.JSONField(_("après"))

    class Meta:
        verbose_name = _("modification de tarif")
        verbose_name_plural = _("modifications de tarif")
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.enrolment} — {self.get_kind_display()}"


def snapshot_dict(enrolment: Enrolment) -> dict:
    """The audited part of the snapshot, as JSON: what a price change records before
    and after, and what a certificate's fingerprint is made of."""
    values = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(enrolment, name)
        values[name] = value if value is None or isinstance(value, int) else str(value)
    return values
