"""Fetching a family's quotient familial outside the wizard: the retry of lookups that
failed because API Particulier was unavailable, and the allocataire's identity."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from qf_connector import limits
from qf_connector.errors import ErrorKind, QuotientError
from qf_connector.identity import Identity
from qf_connector.models import ApiCallLog, LookupRefusal
from qf_connector.services import lookup_by_identity

from . import enrolment
from .models import Enrolment, Family, Guardian

logger = logging.getLogger("family_portal")


WIZARD_ORIGIN = "wizard"
# QuotientError.reason of the wizard's lookup limits.
ACCOUNT_LIMIT = "account_limit"
IDENTITY_LIMIT = "identity_limit"
ADDRESS_LIMIT = "address_limit"
LIMIT_REASONS = {ACCOUNT_LIMIT, IDENTITY_LIMIT, ADDRESS_LIMIT}
# QuotientError.reason when the parent's FranceConnect session must be renewed.
FRANCE_CONNECT_EXPIRED = "france_connect_expired"
# Outcomes that told nothing about the person looked up.
_UNANSWERED = [ErrorKind.UNAVAILABLE, ErrorKind.RATE_LIMITED, ErrorKind.CONFIGURATION]


def _answered_wizard_lookups(now: datetime.datetime | None = None):
    """Lookups from the wizard that CAF or MSA answered in the last 24 hours (sliding),
    from the call log."""
    since = (now or timezone.now()) - datetime.timedelta(days=1)
    return ApiCallLog.objects.filter(
        origin=WIZARD_ORIGIN, started_at__gte=since
    ).exclude(error_kind__in=[kind.value for kind in _UNANSWERED])


def wizard_lookup_refusal(
    user, identity: Identity | None, address: str, *, family_id: int | None = None
) -> QuotientError | None:
    """None when the wizard may look this identity up for this account from this
    address; else the error to show, once the refusal is recorded (LookupRefusal: no
    background job will ever look the identity up, and agents see it).

    Three limits, each over 24 hours of answered lookups: QF_LOOKUPS_PER_ACCOUNT for the
    account, QF_LOOKUPS_PER_IDENTITY for the identity whichever accounts asked (a
    second account gets no more than the first), QF_LOOKUPS_PER_ADDRESS for the client
    address (many accounts from one place). ``identity`` is None for a FranceConnect
    lookup: the person is known only from the answer, so only the account's and the
    address's limits apply."""
    identity_digest = limits.digest_of(identity) if identity is not None else ""
    address_digest = limits.address_digest(address)
    # One query for the three counts (the step's query budget, tests/perf).
    mine = Q(user=user)
    same_identity = (
        Q(identity_digest=identity_digest) if identity_digest else Q(pk=None)
    )
    same_address = Q(address_digest=address_digest) if address_digest else Q(pk=None)
    counts = (
        _answered_wizard_lookups()
        .filter(mine | same_identity | same_address)
        .aggregate(
            account=Count("pk", filter=mine),
            identity=Count("pk", filter=same_identity),
            address=Count("pk", filter=same_address),
        )
    )
    reason = None
    if counts["account"] >= int(settings.QF_LOOKUPS_PER_ACCOUNT):
        reason = LookupRefusal.Reason.ACCOUNT
    elif counts["identity"] >= int(settings.QF_LOOKUPS_PER_IDENTITY):
        reason = LookupRefusal.Reason.IDENTITY
    elif counts["address"] >= int(settings.QF_LOOKUPS_PER_ADDRESS):
        reason = LookupRefusal.Reason.ADDRESS
    if reason is None:
        return None
    LookupRefusal.objects.create(
        identity_digest=identity_digest,
        address_digest=address_digest,
        user=user if getattr(user, "is_authenticated", False) else None,
        family_id=family_id,
        reason=reason,
    )
    logger.info("QF lookup refused by the %s limit (family %s)", reason, family_id)
    return limit_error(reason)


_LIMIT_MESSAGES = {
    LookupRefusal.Reason.ACCOUNT: (
        ACCOUNT_LIMIT,
        "Vous avez atteint le nombre de demandes à la CAF ou à la MSA permises en "
        "24 heures : pour protéger les dossiers des allocataires, le portail n'en "
        "fait pas davantage.",
    ),
    LookupRefusal.Reason.IDENTITY: (
        IDENTITY_LIMIT,
        "Cette personne a déjà fait l'objet du nombre de demandes à la CAF ou à la MSA "
        "permises en 24 heures : pour protéger son dossier, le portail n'en fait pas "
        "davantage.",
    ),
    LookupRefusal.Reason.ADDRESS: (
        ADDRESS_LIMIT,
        "Trop de demandes à la CAF ou à la MSA ont été faites depuis votre connexion "
        "internet en 24 heures : pour protéger les dossiers des allocataires, le "
        "portail n'en fait pas davantage.",
    ),
}


def limit_error(reason: str) -> QuotientError:
    code, message = _LIMIT_MESSAGES[reason]
    return QuotientError(
        ErrorKind.RATE_LIMITED,
        message + " Envoyez plutôt un justificatif, ou continuez sans quotient "
        "familial ; vous pourrez aussi réessayer demain.",
        reason=code,
    )


# -- what agents are warned of ------------------------------------------------------------


def _guardians_of_the_family():
    return Guardian.objects.filter(family=OuterRef("pk")).exclude(identity_digest="")


def with_identity_warnings(families):
    """Annotate families for agents: ``identity_shared``, a guardian is also the
    guardian of another family (a second account looking up the same person);
    ``identity_refused``, a lookup limit refused a guardian's identity (background
    jobs skip it: an agent refreshes or enters the QF)."""
    elsewhere = Guardian.objects.filter(
        identity_digest=OuterRef("identity_digest")
    ).exclude(family_id=OuterRef("family_id"))
    refused = LookupRefusal.objects.current().filter(
        identity_digest=OuterRef("identity_digest")
    )
    return families.annotate(
        identity_shared=Exists(_guardians_of_the_family().filter(Exists(elsewhere))),
        identity_refused=Exists(_guardians_of_the_family().filter(Exists(refused))),
    )


def families_sharing_an_identity(family: Family):
    """The other families one of whose guardians is a guardian of ``family``."""
    digests = family.guardians.exclude(identity_digest="").values("identity_digest")
    return (
        Family.objects.filter(guardians__identity_digest__in=digests)
        .exclude(pk=family.pk)
        .distinct()
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
    # Families whose allocataire a lookup limit refused: never looked up here, left
    # to agents (the QF queue shows it).
    refused: int = 0
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
            if error.reason == limits.REFUSED_IDENTITY:
                summary.refused += 1
            elif error.kind in {"unavailable", "rate_limited"}:
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
