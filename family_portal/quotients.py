"""Fetching a family's quotient familial outside the wizard: the retry of lookups that
failed because API Particulier was unavailable, and the allocataire's identity."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from qf_connector.errors import ErrorKind, QuotientError
from qf_connector.identity import Identity
from qf_connector.models import ApiCallLog
from qf_connector.services import lookup_by_identity

from . import enrolment
from .models import Enrolment, Family, Guardian

logger = logging.getLogger("family_portal")


WIZARD_ORIGIN = "wizard"
ACCOUNT_LIMIT = "account_limit"  # QuotientError.reason of the per-account limit
# QuotientError.reason when the parent's FranceConnect session must be renewed.
FRANCE_CONNECT_EXPIRED = "france_connect_expired"
# Outcomes that told nothing about the person looked up.
_UNANSWERED = [ErrorKind.UNAVAILABLE, ErrorKind.RATE_LIMITED, ErrorKind.CONFIGURATION]


def lookups_left(user, now: datetime.datetime | None = None) -> int:
    """How many more lookups this account may have answered from the wizard today
    (sliding 24 hours, counted from the call log)."""
    since = (now or timezone.now()) - datetime.timedelta(days=1)
    answered = (
        ApiCallLog.objects.filter(
            user=user, origin=WIZARD_ORIGIN, started_at__gte=since
        )
        .exclude(error_kind__in=[kind.value for kind in _UNANSWERED])
        .count()
    )
    return max(int(settings.QF_LOOKUPS_PER_ACCOUNT) - answered, 0)


def account_limit_error() -> QuotientError:
    return QuotientError(
        ErrorKind.RATE_LIMITED,
        "Vous avez atteint le nombre de demandes à la CAF ou à la MSA permises en "
        "24 heures : pour protéger les dossiers des allocataires, le portail n'en "
        "fait pas davantage. Envoyez plutôt un justificatif, ou continuez sans "
        "quotient familial ; vous pourrez aussi réessayer demain.",
        reason=ACCOUNT_LIMIT,
    )


def france_connect_expired_error() -> QuotientError:
    return QuotientError(
        ErrorKind.CONFIGURATION,
        "Votre connexion FranceConnect a expiré : reconnectez-vous avec FranceConnect "
        "(le bouton ci-dessous), vos choix sont gardés. Vous pouvez aussi choisir une "
        "autre façon de transmettre votre quotient familial.",
        reason=FRANCE_CONNECT_EXPIRED,
    )


def allocataire(family: Family) -> Guardian | None:
    guardians = list(family.guardians.all())
    return next((g for g in guardians if g.is_allocataire), None) or (
        guardians[0] if guardians else None
    )


def identity_of(guardian: Guardian) -> Identity:
    """The guardian's civil status as API Particulier wants it (raises InvalidInput)."""
    return Identity.create(
        birth_name=guardian.birth_name,
        first_names=guardian.first_names,
        sex=guardian.sex,
        birth_date=guardian.birth_date.isoformat(),
        birth_commune=guardian.birth_commune_code or None,
        birth_country=guardian.birth_country_code or None,
    )


@dataclass
class RetrySummary:
    families: int = 0
    settled: list[int] = field(default_factory=list)
    still_unavailable: int = 0
    other_errors: dict[str, int] = field(default_factory=dict)


def families_waiting_for_the_api():
    """Families whose lookup failed while the API was down, except those that withdrew
    their consent to lookups made without them since (Family.qf_refresh_consent)."""
    return (
        Family.objects.filter(
            enrolments__status=Enrolment.Status.QF_PENDING,
            enrolments__qf_source=Enrolment.QfSource.UNAVAILABLE,
        )
        .exclude(qf_refresh_consent=False, qf_refresh_consent_at__isnull=False)
        .distinct()
    )


def retry_unavailable(commune, *, user=None, on_family=None) -> RetrySummary:
    """Ask API Particulier again for the families whose lookup failed because it was down,
    and settle their provisional enrolments. Safe to interrupt and rerun."""
    summary = RetrySummary()
    for family in families_waiting_for_the_api().prefetch_related("guardians"):
        summary.families += 1
        guardian = allocataire(family)
        try:
            if guardian is None:
                raise QuotientError("invalid_input")
            result = lookup_by_identity(
                identity_of(guardian), user=user, family_id=family.pk, origin="retry"
            )
        except QuotientError as error:
            if error.kind in {"unavailable", "rate_limited"}:
                summary.still_unavailable += 1
            else:
                summary.other_errors[error.kind] = (
                    summary.other_errors.get(error.kind, 0) + 1
                )
            logger.info("QF retry for family %s: %s", family.pk, error.kind)
        else:
            record = enrolment.record_api_quotient(family, result, user=user)
            enrolment.reprice_family_pending(family, commune, record, user=user)
            summary.settled.append(family.pk)
        if on_family is not None:
            on_family(family, summary)
    return summary
