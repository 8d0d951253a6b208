"""The billing rules of a service (``facturation/1``) as agents edit them, and their frozen
versions.

Like a barème: each field maps onto the document; each save records the document in a
``RulesVersion``; a version that billed a month is locked and never changes again, the
next edit records a new version. Invoices say which version billed each line.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel

from activities.billing_rules import CASES, FORMAT, parse_rules
from activities.billing_rules.model import BillingRules as EngineRules
from activities.fields import DecimalTextField

from .regies import Regie

CASE_LABELS = {
    "present": _("Présence réservée"),
    "unbooked_present": _("Présence sans réservation"),
    "absent": _("Absence sur un jour réservé"),
    "absent_justified": _("Absence justifiée (certificat médical)"),
    "cancelled_in_time": _("Annulation dans les délais"),
    "cancelled_late": _("Annulation hors délai"),
    "closed": _("Service fermé"),
}


class BillingMode(models.TextChoices):
    PER_OCCURRENCE = "per_occurrence", _("Chaque jour ou séance est une ligne")
    MONTHLY_FORFAIT = "monthly_forfait", _("Forfait mensuel (une ligne par mois)")


class DeadlineCount(models.TextChoices):
    CALENDAR = "calendar_days", _("Jours calendaires")
    WORKING = "working_days", _("Jours ouvrés (lundi–vendredi hors fériés)")


class Holidays(models.TextChoices):
    METROPOLE = "metropole", _("Métropole")
    ALSACE_MOSELLE = "alsace_moselle", _("Alsace-Moselle")


class ChargeKind(models.TextChoices):
    FACTOR = "factor", _("Coefficient du tarif")
    AMOUNT = "amount", _("Montant fixe")
    SURCHARGE = "surcharge", _("Tarif + majoration")


class SlotRounding(models.TextChoices):
    STARTED = "started", _("Toute tranche commencée")
    NEAREST = "nearest", _("Tranche la plus proche")


class LatePer(models.TextChoices):
    OCCURRENCE = "occurrence", _("Une pénalité par retard")
    QUARTER = "started_15_minutes", _("Par quart d'heure commencé")


def _kind(case):
    return models.CharField(
        CASE_LABELS[case], max_length=10, choices=ChargeKind.choices, default="factor"
    )


def _value(default):
    return DecimalTextField(_("valeur"), default=default)


class ServiceRules(models.Model):
    """The règlement's billing rules of one service (an activity), in one régie."""

    activity = models.OneToOneField(
        "activities.ActivityPage",
        on_delete=models.PROTECT,
        related_name="billing_rules",
        verbose_name=_("service"),
    )
    regie = models.ForeignKey(
        Regie, on_delete=models.PROTECT, related_name="rules", verbose_name=_("régie")
    )
    slug = models.SlugField(_("identifiant"), max_length=100, unique=True)
    label = models.CharField(_("libellé sur les factures"), max_length=200)
    deliberation_reference = models.CharField(
        _("référence de la délibération"), max_length=200
    )
    deliberation_date = models.DateField(_("date de la délibération"))
    deliberation_url = models.URLField(
        _("adresse de la délibération"), max_length=500, blank=True
    )
    billing = models.CharField(
        _("facturation"),
        max_length=20,
        choices=BillingMode.choices,
        default=BillingMode.PER_OCCURRENCE,
    )
    deadline_days_before = models.PositiveSmallIntegerField(
        _("délai (jours avant)"), default=2
    )
    deadline_at = models.TimeField(_("heure limite"), default="23:59")
    deadline_count = models.CharField(
        _("jours comptés"),
        max_length=15,
        choices=DeadlineCount.choices,
        default=DeadlineCount.WORKING,
    )
    deadline_holidays = models.CharField(
        _("jours fériés"),
        max_length=15,
        choices=Holidays.choices,
        default=Holidays.METROPOLE,
    )
    present_kind = _kind("present")
    present_value = _value("1")
    unbooked_present_kind = _kind("unbooked_present")
    unbooked_present_value = _value("1")
    absent_kind = _kind("absent")
    absent_value = _value("1")
    absent_justified_kind = _kind("absent_justified")
    absent_justified_value = _value("0")
    cancelled_in_time_kind = _kind("cancelled_in_time")
    cancelled_in_time_value = _value("0")
    cancelled_late_kind = _kind("cancelled_late")
    cancelled_late_value = _value("1")
    closed_kind = _kind("closed")
    closed_value = _value("0")
    justified_waiting_days = models.PositiveSmallIntegerField(
        _("jours de carence"),
        default=0,
        help_text=_(
            "Les premiers jours de chaque absence justifiée sont facturés comme une "
            "absence."
        ),
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("tranche (minutes)"),
        null=True,
        blank=True,
        help_text=_("Vide : l'unité est la séance (un repas, une journée)."),
    )
    slot_rounding = models.CharField(
        _("arrondi des tranches"),
        max_length=10,
        choices=SlotRounding.choices,
        default=SlotRounding.STARTED,
    )
    slot_tolerance = models.PositiveSmallIntegerField(
        _("tolérance (minutes)"), default=0
    )
    late_after = models.TimeField(
        _("retard après"), null=True, blank=True, help_text=_("Vide : pas de pénalité.")
    )
    late_amount = DecimalTextField(_("pénalité de retard"), blank=True)
    late_per = models.CharField(
        _("pénalité"),
        max_length=20,
        choices=LatePer.choices,
        default=LatePer.OCCURRENCE,
    )
    minimum_invoice = DecimalTextField(
        _("minimum de facturation"),
        default="0",
        help_text=_("Un mois inférieur à ce montant est reporté sur le suivant."),
    )
    # Not part of the facturation/1 document (it bills nothing): what the yearly tax
    # certificate (family_portal/taxcerts) counts as childcare outside the home.
    childcare = models.BooleanField(
        _("frais de garde (attestation fiscale)"),
        default=False,
        help_text=_(
            "À cocher pour un accueil hors du domicile (périscolaire, accueil de "
            "loisirs, crèche) : les sommes payées pour les enfants de moins de 6 ans "
            "figurent sur l'attestation fiscale annuelle. Jamais pour la restauration "
            "scolaire : les repas en sont exclus."
        ),
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("activity"),
                FieldPanel("regie"),
                FieldPanel("slug"),
                FieldPanel("label"),
                FieldPanel("billing"),
                FieldPanel("childcare"),
            ],
            heading=_("Service"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("deliberation_reference"),
                FieldPanel("deliberation_date"),
                FieldPanel("deliberation_url"),
            ],
            heading=_("Délibération"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("deadline_days_before"), FieldPanel("deadline_at")]
                ),
                FieldRowPanel(
                    [FieldPanel("deadline_count"), FieldPanel("deadline_holidays")]
                ),
            ],
            heading=_("Date limite de réservation et d'annulation"),
        ),
        MultiFieldPanel(
            [
                *[
                    FieldRowPanel(
                        [FieldPanel(f"{case}_kind"), FieldPanel(f"{case}_value")]
                    )
                    for case in CASES
                ],
                FieldPanel("justified_waiting_days"),
            ],
            heading=_("Ce que coûte chaque cas"),
            help_text=_(
                "Coefficient : 1,5 pour 150 % du tarif ; montant fixe ou majoration en "
                "euros."
            ),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("slot_minutes"),
                        FieldPanel("slot_rounding"),
                        FieldPanel("slot_tolerance"),
                    ]
                ),
                FieldRowPanel(
                    [
                        FieldPanel("late_after"),
                        FieldPanel("late_amount"),
                        FieldPanel("late_per"),
                    ]
                ),
                FieldPanel("minimum_invoice"),
            ],
            heading=_("Temps, retards et minimum"),
        ),
    ]

    class Meta:
        verbose_name = _("règles de facturation")
        verbose_name_plural = _("règles de facturation")
        ordering = ["label"]

    def __str__(self):
        return f"{self.label} ({self.regie})"

    def to_document(self) -> dict:
        """The ``facturation/1`` document the fields describe, maybe not yet valid."""
        charges = {
            case: {getattr(self, f"{case}_kind"): getattr(self, f"{case}_value")}
            for case in CASES
        }
        charges["justified_waiting_days"] = self.justified_waiting_days
        return {
            "format": FORMAT,
            "id": self.slug,
            "label": self.label,
            "deliberation": {
                "reference": self.deliberation_reference,
                "date": _iso(self.deliberation_date),
                "url": self.deliberation_url or None,
            },
            "billing": self.billing,
            "deadline": {
                "days_before": self.deadline_days_before,
                "at": _clock(self.deadline_at),
                "count": self.deadline_count,
                "holidays": self.deadline_holidays,
            },
            "charges": charges,
            "slots": None
            if self.slot_minutes is None
            else {
                "minutes": self.slot_minutes,
                "rounding": self.slot_rounding,
                "tolerance_minutes": self.slot_tolerance,
            },
            "late_pickup": None
            if self.late_after is None
            else {
                "after": _clock(self.late_after),
                "amount": self.late_amount,
                "per": self.late_per,
            },
            "minimum_invoice": self.minimum_invoice,
        }

    def apply_document(self, document: dict) -> None:
        """Set the fields from a valid document (an import); ``save()`` writes them."""
        rules = parse_rules(document)
        self.slug, self.label = rules.id, rules.label
        self.deliberation_reference = rules.deliberation.reference
        self.deliberation_date = rules.deliberation.date
        self.deliberation_url = rules.deliberation.url or ""
        self.billing = rules.billing
        self.deadline_days_before = rules.deadline.days_before
        self.deadline_at = rules.deadline.at
        self.deadline_count = rules.deadline.count
        self.deadline_holidays = rules.deadline.holidays
        for case in CASES:
            charge = rules.charges[case]
            setattr(self, f"{case}_kind", charge.kind)
            setattr(self, f"{case}_value", document["charges"][case][charge.kind])
        self.justified_waiting_days = rules.justified_waiting_days
        self.slot_minutes = rules.slots.minutes if rules.slots else None
        if rules.slots:
            self.slot_rounding = rules.slots.rounding
            self.slot_tolerance = rules.slots.tolerance_minutes
        self.late_after = rules.late_pickup.after if rules.late_pickup else None
        if rules.late_pickup:
            self.late_amount = document["late_pickup"]["amount"]
            self.late_per = rules.late_pickup.per
        self.minimum_invoice = document["minimum_invoice"]

    @transaction.atomic
    def record_version(self, user=None) -> tuple[RulesVersion, bool]:
        """Record the saved fields as the latest version; returns it and whether it is
        new. Unchanged: nothing; an unused latest version is updated in place; a locked
        one (it billed a month) is kept and a new version is created.
        Raises ``InvalidRules`` if the fields do not make valid rules."""
        document = self.to_document()
        parse_rules(document)
        latest = (
            RulesVersion.objects.select_for_update()
            .filter(rules=self)
            .order_by("-number")
            .first()
        )
        if latest is not None:
            if latest.document == document:
                return latest, False
            if not latest.locked:
                latest.document = document
                latest.save(update_fields=["document"])
                return latest, False
        version = RulesVersion.objects.create(
            rules=self,
            number=1 if latest is None else latest.number + 1,
            document=document,
            created_by=user,
        )
        return version, True

    @property
    def current_version(self) -> RulesVersion | None:
        return self.versions.order_by("-number").first()


class RulesVersion(models.Model):
    """Billing rules exactly as they billed: frozen once ``locked``."""

    rules = models.ForeignKey(
        ServiceRules, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    document = models.JSONField(_("document facturation/1"))
    locked = models.BooleanField(
        _("utilisée"),
        default=False,
        help_text=_(
            "A servi à facturer un mois : elle ne change plus, une modification crée "
            "une nouvelle version."
        ),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["rules", "-number"]
        verbose_name = _("version des règles de facturation")
        constraints = [
            models.UniqueConstraint(
                fields=["rules", "number"], name="unique_rules_version_number"
            )
        ]

    def __str__(self):
        return f"{self.document.get('id', '?')} v{self.number}"

    @cached_property
    def engine(self) -> EngineRules:
        return parse_rules(self.document)


def _iso(value):
    return None if value is None else value.isoformat()


def _clock(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value[:5]
    return f"{value:%H:%M}"
