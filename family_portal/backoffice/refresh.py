"""Fetching a family's QF again from API Particulier: on an agent's explicit request
(bypassing the API's 24-hour cache), and the yearly campaign for consenting families.

The campaign records one QfRefreshOutcome per family and QF month, in the same
transaction as the new QF and the re-priced enrolments: a rerun skips the families done,
so an interrupted campaign resumes without asking the API twice for a family. Families
are e-mailed after the commit; a rerun sends the e-mails an interruption held back.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from qf_connector.errors import ErrorKind, InvalidInput, QuotientError
from qf_connector.identity import QfMonth
from qf_connector.services import lookup_by_identity

from .. import enrolment as enrolments
from ..models import (
    AgentAction,
    Enrolment,
    EnrolmentPriceChange,
    Family,
    QfRefreshOutcome,
)
from ..quotients import allocataire, identity_of
from .audit import quotient_summary, record_action
from .mail import send_family_mail

AGENT_ORIGIN = "agent"
CAMPAIGN_ORIGIN = "campagne annuelle"
NOT_FOUND_KINDS = {ErrorKind.NOT_IDENTIFIED, ErrorKind.NO_FILE}


class MissingIdentity(Exception):
    """The family has no guardian whose civil status API Particulier can use."""


def first_of_next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _identity(family: Family):
    guardian = allocataire(family)
    if guardian is None:
        raise MissingIdentity
    try:
        return identity_of(guardian)
    except InvalidInput as error:
        raise MissingIdentity(error.message) from error


def refresh_family(family: Family, commune, *, user, client=None):
    """An agent asks API Particulier for the family's current QF, bypassing the
    API's cache; provisional enrolments are settled with it.

    Returns (record, price changes); raises MissingIdentity or QuotientError.
    """
    before = family.current_quotient()
    result = lookup_by_identity(
        _identity(family),
        fresh=True,
        user=user,
        family_id=family.pk,
        origin=AGENT_ORIGIN,
        client=client,
        in_request=True,
    )
    with transaction.atomic():
        record = enrolments.record_api_quotient(family, result, user=user)
        changes = enrolments.reprice_family_pending(family, commune, record, user=user)
        record_action(
            AgentAction.Kind.QF_REFRESHED,
            user,
            family=family,
            before={"quotient": quotient_summary(before)},
            after={
                "quotient": quotient_summary(record),
                "request_id": record.request_id,
                "settled_enrolments": [change.enrolment_id for change in changes],
            },
        )
    return record, changes


# -- the yearly campaign ---------------------------------------------------------------


@dataclass
class CampaignSummary:
    month: datetime.date
    to_do: int = 0
    already_done: int = 0
    outcomes: Counter = field(default_factory=Counter)
    repriced: int = 0
    overridden_kept: int = 0
    notified: int = 0
    stopped: str = ""  # why the run stopped before the end (French)

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())


def campaign_families(month: datetime.date):
    """Consenting families not yet done for this QF month, in a stable order."""
    done = QfRefreshOutcome.objects.filter(
        month=month, status__in=QfRefreshOutcome.FINAL
    ).values("family")
    return (
        Family.objects.filter(qf_refresh_consent=True)
        .exclude(pk__in=done)
        .prefetch_related("guardians")
        .order_by("pk")
    )


def open_enrolments(family: Family, effective: datetime.date):
    """The family's enrolments still running on `effective`, except prices an agent
    fixed by hand (counted, left alone)."""
    return family.enrolments.active().filter(period__end__gte=effective)


def _reprice_open(family, commune, record, effective, summary) -> int:
    qf = enrolments.QfChoice(Enrolment.QfSource.API, record)
    reason = (
        f"Mise à jour annuelle du quotient familial ({record}) : tarif applicable "
        f"à partir du 1er {date_format(effective, 'F Y')}."
    )
    repriced = 0
    for item in open_enrolments(family, effective):
        if item.price_overridden:
            summary.overridden_kept += 1
            continue
        change = enrolments.reprice(
            item,
            commune,
            qf,
            kind=EnrolmentPriceChange.Kind.QF_REFRESH,
            reason=reason,
        )
        repriced += change is not None
    return repriced


def _lookup_outcome(family, month: QfMonth, client):
    """(status, error kind, API result) for one family; never raises QuotientError."""
    try:
        identity = _identity(family)
    except MissingIdentity:
        return QfRefreshOutcome.Status.NO_IDENTITY, "", None
    try:
        result = lookup_by_identity(
            identity,
            month,
            family_id=family.pk,
            origin=CAMPAIGN_ORIGIN,
            client=client,
        )
    except QuotientError as error:
        if error.kind in NOT_FOUND_KINDS:
            return QfRefreshOutcome.Status.NOT_FOUND, error.kind, None
        if error.kind == ErrorKind.INVALID_INPUT:
            return QfRefreshOutcome.Status.NO_IDENTITY, error.kind, None
        return QfRefreshOutcome.Status.FAILED, error.kind, None
    return QfRefreshOutcome.Status.REFRESHED, "", result


def refresh_one(family, commune, month: QfMonth, summary, *, client=None):
    """Fetch, record and re-price one family; returns its outcome row."""
    month_date = datetime.date(month.year, month.month, 1)
    status, error_kind, result = _lookup_outcome(family, month, client)
    with transaction.atomic():
        record, repriced = None, 0
        if result is not None:
            record = enrolments.record_api_quotient(family, result)
            effective = first_of_next_month(timezone.localdate())
            repriced = _reprice_open(family, commune, record, effective, summary)
        outcome, _ = QfRefreshOutcome.objects.update_or_create(
            family=family,
            month=month_date,
            defaults={
                "status": status,
                "error_kind": error_kind,
                "quotient": record,
                "repriced": repriced,
                "at": timezone.now(),
                "notified_at": None,
            },
        )
    summary.outcomes[status] += 1
    summary.repriced += repriced
    return outcome


def notify(outcome: QfRefreshOutcome, commune) -> bool:
    """Tell the family the result (a new QF and prices, or how to send a document)."""
    family = outcome.family
    if outcome.status == QfRefreshOutcome.Status.REFRESHED:
        effective = first_of_next_month(outcome.at.date())
        sent = send_family_mail(
            family,
            "Votre quotient familial a été mis à jour",
            "backoffice/email/qf_refreshed.txt",
            {
                "record": outcome.quotient,
                "effective": effective,
                "enrolments": open_enrolments(family, effective).select_related(
                    "child", "period__activity"
                ),
                "commune": commune,
            },
        )
    elif outcome.status == QfRefreshOutcome.Status.NOT_FOUND:
        sent = send_family_mail(
            family,
            "Votre quotient familial n'a pas pu être mis à jour",
            "backoffice/email/qf_not_found.txt",
            {"commune": commune},
        )
    else:
        return False
    QfRefreshOutcome.objects.filter(pk=outcome.pk).update(notified_at=timezone.now())
    return sent


def notify_pending(month: datetime.date, commune) -> int:
    """E-mails an earlier, interrupted run did not send."""
    sent = 0
    pending = QfRefreshOutcome.objects.filter(
        month=month,
        notified_at__isnull=True,
        status__in=[
            QfRefreshOutcome.Status.REFRESHED,
            QfRefreshOutcome.Status.NOT_FOUND,
        ],
    ).select_related("family", "quotient")
    for outcome in pending:
        sent += notify(outcome, commune)
    return sent


def run_campaign(
    commune, month: QfMonth, *, client=None, limit=None, progress=None
) -> CampaignSummary:
    """Refresh the QF of every consenting family not yet done for `month`.

    `progress(done, total, summary)` is called after each family. A configuration
    error (token, recipient SIRET) stops the run: every call would fail the same way.
    """
    month_date = datetime.date(month.year, month.month, 1)
    summary = CampaignSummary(month_date)
    summary.notified += notify_pending(month_date, commune)
    families = campaign_families(month_date)
    summary.to_do = families.count()
    summary.already_done = QfRefreshOutcome.objects.filter(
        month=month_date, status__in=QfRefreshOutcome.FINAL
    ).count()
    if limit is not None:
        families = families[:limit]
        summary.to_do = min(summary.to_do, limit)
    for done, family in enumerate(families.iterator(chunk_size=200), start=1):
        outcome = refresh_one(family, commune, month, summary, client=client)
        summary.notified += notify(outcome, commune)
        if progress is not None:
            progress(done, summary.to_do, summary)
        if outcome.error_kind == ErrorKind.CONFIGURATION:
            summary.stopped = (
                "API Particulier refuse la configuration (jeton, SIRET) : "
                "corrigez-la puis relancez la commande."
            )
            break
    return summary
