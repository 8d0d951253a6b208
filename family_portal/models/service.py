"""The family service's own rules, the agents' audit trail and the yearly QF refresh.

Views, forms and services live in family_portal/backoffice/.
"""

import datetime
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from .audit_text import describe
from .enrolments import Enrolment
from .families import Family
from .jobs import BackgroundJob
from .quotients import QfDocument, QuotientRecord


class TaxNoticeRule(models.TextChoices):
    FISCAL_PARTS = (
        "fiscal_parts",
        _("Parts fiscales : revenu fiscal de référence / 12 / nombre de parts"),
    )
    PER_PERSON = (
        "per_person",
        _(
            "Par personne : revenus avant abattement de 10 %, moins les pensions "
            "alimentaires versées, / 12 / personnes du foyer"
        ),
    )


@register_setting(icon="group")
class FamilyServiceSettings(BaseSiteSetting):
    """How the family service records a QF from a document, and how long it keeps them."""

    tax_notice_rule = models.CharField(
        _("calcul du quotient depuis un avis d'imposition"),
        max_length=20,
        choices=TaxNoticeRule.choices,
        default=TaxNoticeRule.FISCAL_PARTS,
        help_text=_(
            "La règle votée par la commune pour les familles sans dossier CAF."
        ),
    )
    attestation_max_age_months = models.PositiveSmallIntegerField(
        _("ancienneté maximale d'une attestation CAF ou MSA (mois)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    qf_retention_months = models.PositiveSmallIntegerField(
        _("conservation d'un quotient après sa fin de validité (mois)"),
        default=0,
        validators=[MaxValueValidator(120)],
        help_text=_(
            "0 : le quotient est supprimé dès la fin de sa validité, comme l'annonce "
            "la page des données personnelles. Les inscriptions gardent le QF retenu."
        ),
    )
    document_retention_months = models.PositiveSmallIntegerField(
        _("conservation d'un justificatif refusé (mois)"),
        default=3,
        validators=[MaxValueValidator(120)],
        help_text=_(
            "Un justificatif accepté est supprimé avec le quotient qu'il justifie."
        ),
    )
    batch_retention_days = models.PositiveSmallIntegerField(
        _("conservation d'un lot d'attestations à imprimer (jours)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "Le fichier du lot est ensuite supprimé ; chaque attestation reste "
            "téléchargeable et peut être réimprimée."
        ),
    )

    panels = [
        FieldPanel("tax_notice_rule"),
        FieldPanel("attestation_max_age_months"),
        MultiFieldPanel(
            [
                FieldPanel("qf_retention_months"),
                FieldPanel("document_retention_months"),
                FieldPanel("batch_retention_days"),
            ],
            heading=_("Durées de conservation"),
        ),
    ]

    class Meta:
        verbose_name = _("règles du service famille")


class AgentAction(models.Model):
    """What an agent did to a family's file: who, when, why, before and after.

    Price changes have their own trail (EnrolmentPriceChange); this one holds the rest.
    """

    class Kind(models.TextChoices):
        DOCUMENT_ACCEPTED = "document_accepted", _("Justificatif accepté")
        DOCUMENT_REJECTED = "document_rejected", _("Justificatif refusé")
        QF_RECORDED = "qf_recorded", _("Quotient familial saisi")
        QF_REFRESHED = "qf_refreshed", _("Quotient familial actualisé (API)")
        PERIOD_REPRICED = "period_repriced", _("Période recalculée")
        ENROLMENT_CANCELLED = "cancelled", _("Inscription annulée")
        ENROLMENT_PROMOTED = "promoted", _("Inscription sortie de la liste d'attente")
        COUNTER_ENROLMENT = "counter", _("Inscription au guichet")
        PRICE_OVERRIDDEN = "price_overridden", _("Tarif corrigé à la main")
        ENROLMENT_REPRICED = "enrolment_repriced", _("Tarif recalculé")
        CAPACITY_CHANGED = "capacity_changed", _("Nombre de places modifié")
        CERTIFICATE_REVOKED = "certificate_revoked", _("Attestation annulée")
        QF_CAMPAIGN_STARTED = "qf_campaign", _("Campagne annuelle du QF lancée")
        QF_CAMPAIGN_RESUMED = (
            "qf_campaign_resumed",
            _("Campagne annuelle du QF reprise"),
        )

    kind = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    at = models.DateTimeField(_("le"), default=timezone.now, db_index=True)
    family = models.ForeignKey(
        Family,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent_actions",
        verbose_name=_("famille"),
    )
    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent_actions",
        verbose_name=_("inscription"),
    )
    document = models.ForeignKey(
        QfDocument,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent_actions",
        verbose_name=_("justificatif"),
    )
    reason = models.TextField(_("motif"), blank=True)
    before = models.JSONField(_("avant"), null=True, blank=True)
    after = models.JSONField(_("après"), null=True, blank=True)

    class Meta:
        verbose_name = _("action d'un agent")
        verbose_name_plural = _("actions des agents")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.at:%d/%m/%Y %H:%M}"

    # In French for the inspect screen (labels, amounts "3,50 €"), not raw JSON.
    def get_before_display(self):
        return describe(self.before)

    def get_after_display(self):
        return describe(self.after)


class QfRefreshOutcome(models.Model):
    """One family in one yearly QF refresh campaign (a QF month): a rerun skips it."""

    class Status(models.TextChoices):
        REFRESHED = "refreshed", _("Quotient mis à jour")
        NOT_FOUND = "not_found", _("Pas de quotient CAF ou MSA")
        NO_IDENTITY = "no_identity", _("État civil de l'allocataire incomplet")
        FAILED = "failed", _("Échec provisoire : à relancer")

    # Statuses a rerun leaves alone: the API answered, or will never be asked.
    FINAL = (Status.REFRESHED, Status.NOT_FOUND, Status.NO_IDENTITY)

    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="qf_refreshes",
        verbose_name=_("famille"),
    )
    month = models.DateField(_("mois du QF demandé"))
    status = models.CharField(_("résultat"), max_length=12, choices=Status.choices)
    error_kind = models.CharField(_("erreur"), max_length=20, blank=True)
    quotient = models.ForeignKey(
        QuotientRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("quotient obtenu"),
    )
    repriced = models.PositiveIntegerField(_("inscriptions recalculées"), default=0)
    at = models.DateTimeField(_("traitée le"), default=timezone.now)
    notified_at = models.DateTimeField(_("famille prévenue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("actualisation annuelle du QF")
        verbose_name_plural = _("actualisations annuelles du QF")
        ordering = ["-month", "family"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "month"], name="one_qf_refresh_per_family_and_month"
            )
        ]

    def __str__(self):
        return f"{self.family} — {self.month:%m/%Y} — {self.get_status_display()}"


class QfCampaign(BackgroundJob):
    """The yearly QF campaign started by an agent: run by a background task, its
    progress and its report (CampaignSummary.as_report) kept on the row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    month = models.DateField(_("mois du QF demandé"))
    total = models.PositiveIntegerField(_("familles à traiter"), default=0)
    done = models.PositiveIntegerField(_("familles traitées"), default=0)
    report = models.JSONField(_("bilan"), default=dict, blank=True)
    # The run holding the campaign (a lease): it beats every few seconds while it
    # works; a beat older than QF_CAMPAIGN_LEASE_SECONDS means its process died.
    runner = models.UUIDField(_("exécution en cours"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        _("dernier signe de vie"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("campagne annuelle du QF")
        verbose_name_plural = _("campagnes annuelles du QF")
        ordering = ["-created_at"]
        constraints = [
            # Two runs for one month at once would ask the API twice for a family.
            models.UniqueConstraint(
                fields=["month"],
                condition=Q(status__in=["pending", "running"]),
                name="one_running_qf_campaign_per_month",
            )
        ]

    def __str__(self):
        return f"Campagne du QF de {self.month:%m/%Y}"

    @staticmethod
    def lease() -> datetime.timedelta:
        return datetime.timedelta(seconds=settings.QF_CAMPAIGN_LEASE_SECONDS)

    @property
    def interrupted(self) -> bool:
        """Left "en cours" by a process that stopped beating (killed worker, machine
        restart): agents may resume it."""
        if self.status != self.Status.RUNNING:
            return False
        last = self.heartbeat_at or self.created_at
        return last is not None and last < timezone.now() - self.lease()

    @property
    def state_label(self) -> str:
        return "Interrompue" if self.interrupted else self.get_status_display()

    def progress_state(self) -> dict:
        state = super().progress_state()
        state["interrupted"] = self.interrupted
        state["status_label"] = self.state_label
        return state
