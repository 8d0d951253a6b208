"""The API Particulier call log: one row per lookup, kept 36 months, never the query string."""

from __future__ import annotations

import calendar
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .client import CallRecord
from .errors import ErrorKind

RETENTION_MONTHS = 36

# What the callers write in ApiCallLog.origin, as agents read it.
ORIGIN_LABELS = {
    "wizard": "Parcours d'inscription",
    "retry": "Nouvelle tentative automatique",
    "agent": "Actualisation par un agent",
    "campagne annuelle": "Campagne annuelle du QF",
    "commande qf lookup": "Commande qf lookup",
}


def months_before(moment: datetime, months: int) -> datetime:
    """Same day and time ``months`` calendar months earlier (clamped to month end)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class ApiCallLogQuerySet(models.QuerySet):
    def expired(self, now: datetime | None = None) -> ApiCallLogQuerySet:
        """Rows older than the 36-month retention period."""
        now = now or timezone.now()
        return self.filter(started_at__lt=months_before(now, RETENTION_MONTHS))


class ApiCallLog(models.Model):
    """Traceability of every quotient familial lookup (CONTRACT.md, "Traceability").

    Holds who asked, for which family, when, which endpoint, the outcome and the
    API's ``X-Request-ID`` — never the query string (it holds the identity), the
    token, or the answer's content.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("demandé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The family model lives in family_portal, which depends on this app and not the
    # reverse: the family's primary key is stored as a plain indexed integer (no
    # foreign key), so that call logs outlive a family deleted before the end of the
    # 36-month retention.
    family_id = models.PositiveBigIntegerField(
        _("famille (identifiant)"), null=True, blank=True, db_index=True
    )
    origin = models.CharField(
        _("origine"),
        max_length=40,
        blank=True,
        help_text=_("Parcours d'inscription, commande d'un agent, actualisation…"),
    )
    endpoint = models.CharField(_("point d'accès"), max_length=200)
    started_at = models.DateTimeField(_("début"), db_index=True)
    duration_ms = models.PositiveIntegerField(_("durée (ms)"))
    http_status = models.PositiveSmallIntegerField(
        _("statut HTTP"), null=True, blank=True
    )
    error_code = models.CharField(_("code d'erreur"), max_length=10, blank=True)
    error_kind = models.CharField(
        _("type d'erreur"),
        max_length=20,
        blank=True,
        choices=[
            (ErrorKind.NOT_IDENTIFIED.value, _("personne non identifiée")),
            (ErrorKind.NO_FILE.value, _("pas de dossier CAF/MSA")),
            (ErrorKind.UNAVAILABLE.value, _("service indisponible")),
            (ErrorKind.RATE_LIMITED.value, _("trop de requêtes")),
            (ErrorKind.CONFIGURATION.value, _("erreur de configuration")),
            (ErrorKind.INVALID_INPUT.value, _("paramètre refusé")),
        ],
    )
    detail = models.CharField(_("précision"), max_length=40, blank=True)
    provider = models.CharField(
        _("organisme"),
        max_length=10,
        blank=True,
        help_text=_("L'organisme qui a répondu (CNAF, MSA) ; vide sans réponse."),
    )
    request_id = models.CharField(_("X-Request-ID"), max_length=100, blank=True)
    # Keyed digests (qf_connector/limits.py), never the identity or the address
    # themselves: the lookup limits count on them.
    identity_digest = models.CharField(
        _("empreinte de l'identité"), max_length=64, blank=True, db_index=True
    )
    address_digest = models.CharField(
        _("empreinte de l'adresse du visiteur"),
        max_length=64,
        blank=True,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    cached = models.BooleanField(_("réponse en cache"), default=False)

    objects = ApiCallLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("appel à API Particulier")
        verbose_name_plural = _("appels à API Particulier")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        outcome = self.get_error_kind_display() if self.error_kind else "OK"
        return f"{self.endpoint} {self.started_at:%Y-%m-%d %H:%M} {outcome}"

    def get_origin_display(self) -> str:
        return ORIGIN_LABELS.get(self.origin, self.origin)

    @property
    def succeeded(self) -> bool:
        return not self.error_kind

    @classmethod
    def record(
        cls,
        call: CallRecord,
        *,
        user=None,
        family_id: int | None = None,
        origin: str = "",
        identity_digest: str = "",
        address_digest: str = "",
    ) -> ApiCallLog:
        """Store one :class:`CallRecord` from the client."""
        return cls.objects.create(
            user=user if getattr(user, "is_authenticated", False) else None,
            family_id=family_id,
            origin=origin[:40],
            endpoint=call.endpoint.split("?", 1)[0][:200],
            started_at=call.started_at,
            duration_ms=max(0, call.duration_ms),
            http_status=call.http_status,
            error_code=(call.error_code or "")[:10],
            error_kind=call.error_kind or "",
            detail=(call.detail or "")[:40],
            provider=(call.provider or "")[:10],
            request_id=(call.request_id or "")[:100],
            attempts=call.attempts,
            cached=call.cached,
            identity_digest=identity_digest,
            address_digest=address_digest,
        )

    @classmethod
    def purge_expired(cls, now: datetime | None = None) -> int:
        """Delete the rows past the retention, and the lookup refusals with them
        (LookupRefusal, kept as long); returns how many rows went."""
        deleted, _details = cls.objects.expired(now).delete()
        refusals, _details = LookupRefusal.objects.expired(now).delete()
        return deleted + refusals


class LookupRefusalQuerySet(models.QuerySet):
    def current(self, now: datetime | None = None) -> LookupRefusalQuerySet:
        now = now or timezone.now()
        return self.filter(at__gte=months_before(now, RETENTION_MONTHS))

    def expired(self, now: datetime | None = None) -> LookupRefusalQuerySet:
        now = now or timezone.now()
        return self.filter(at__lt=months_before(now, RETENTION_MONTHS))


class LookupRefusal(models.Model):
    """A lookup a limit refused (per account, identity or address), kept as the call
    log is: background jobs never look that identity up (qf_connector/limits.py), and
    agents see it. Digests only, never the identity or the address."""

    class Reason(models.TextChoices):
        ACCOUNT = "account", _("trop de demandes pour ce compte")
        IDENTITY = "identity", _("trop de demandes pour cette identité")
        ADDRESS = "address", _("trop de demandes depuis cette adresse")

    identity_digest = models.CharField(
        _("empreinte de l'identité"), max_length=64, db_index=True
    )
    address_digest = models.CharField(
        _("empreinte de l'adresse du visiteur"), max_length=64, blank=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    family_id = models.PositiveBigIntegerField(
        _("famille (identifiant)"), null=True, blank=True, db_index=True
    )
    reason = models.CharField(_("limite"), max_length=10, choices=Reason.choices)
    at = models.DateTimeField(_("le"), default=timezone.now, db_index=True)

    objects = LookupRefusalQuerySet.as_manager()

    class Meta:
        verbose_name = _("demande de QF refusée par une limite")
        verbose_name_plural = _("demandes de QF refusées par une limite")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.at:%Y-%m-%d %H:%M})"
