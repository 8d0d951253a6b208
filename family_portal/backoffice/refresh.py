"""Fetching a family's QF again from API Particulier: on an agent's explicit request
(bypassing the API's 24-hour cache), and the yearly campaign for consenting families.

The campaign records one QfRefreshOutcome per family and QF month, in the same
transaction as the new QF and the re-priced enrolments: a rerun skips the families done,
so an interrupted campaign resumes without asking the API twice for a family. Families
are e-mailed after the commit; a rerun sends the e-mails an interruption held back.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format

from qf_connector import limits
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
    QuotientRecord,
)
from ..quotients import allocataire, identity_of
from .audit import quotient_summary, record_action
from .lookup_pool import InlineLookups, LookupPool
from .mail import family_message

logger = logging.getLogger(__name__)

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
    # Families whose new QF is far older than its month asked for
    # (QuotientRecord.is_stale): recorded, but agents must check them.
    stale: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())

    def count(self, status: str, *, repriced: int = 0, kept: int = 0) -> None:
        """One family done (called by the campaign's worker threads)."""
        with self._lock:
            self.outcomes[status] += 1
            self.repriced += repriced
            self.overridden_kept += kept

    def report_lines(self) -> list[tuple[str, int]]:
        """The report, (French label, figure), for the command and the agents' page;
        a new figure is one more line here."""
        lines = [
            ("Familles traitées", self.processed),
            ("Familles déjà faites avant", self.already_done),
        ]
        lines += [
            (str(label), self.outcomes.get(status, 0))
            for status, label in QfRefreshOutcome.Status.choices
        ]
        lines += [
            ("Inscriptions recalculées", self.repriced),
            ("Tarifs corrigés à la main, laissés tels quels", self.overridden_kept),
            ("Familles prévenues par courriel", self.notified),
        ]
        if self.stale:
            lines.append(
                (
                    "QF anciens, à vérifier (mois antérieur de plus de "
                    f"{QuotientRecord.STALE_AFTER_MONTHS} mois à la demande)",
                    len(self.stale),
                )
            )
        return lines

    def as_report(self) -> dict:
        """What the campaign's row keeps (JSON)."""
        return {
            "month": self.month.isoformat(),
            "lines": self.report_lines(),
            "failed": self.outcomes.get(QfRefreshOutcome.Status.FAILED, 0),
            "stopped": self.stopped,
            "stale": list(self.stale),
        }


def campaign_families(month: datetime.date):
    """Consenting families not yet done for this QF month, in a stable order, with
    what the lookup (guardians) and the e-mail (accounts) read."""
    done = QfRefreshOutcome.objects.filter(
        month=month, status__in=QfRefreshOutcome.FINAL
    ).values("family")
    return (
        Family.objects.filter(qf_refresh_consent=True)
        .exclude(pk__in=done)
        .prefetch_related("guardians", "users")
        .order_by("pk")
    )


def open_enrolments(families, effective: datetime.date):
    """The enrolments of these families (ids) still running on `effective`, prices an
    agent fixed by hand included (the campaign counts them and leaves them alone)."""
    return Enrolment.objects.active().filter(
        family__in=families, period__end__gte=effective
    )


def _lookup_outcome(family, month: QfMonth, client):
    """(status, error kind, API result) for one family; never raises QuotientError."""
    try:
        identity = _identity(family)
    except MissingIdentity:
        return QfRefreshOutcome.Status.NO_IDENTITY, "", None
    if limits.identity_refused(identity):  # never asked again without an agent
        return QfRefreshOutcome.Status.NO_IDENTITY, limits.REFUSED_IDENTITY, None
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


@dataclass
class Looked:
    """One family's lookup, waiting to be written."""

    family: Family
    status: str
    error_kind: str = ""
    result: object = None


def _look_up(family, month: QfMonth, client) -> Looked:
    """The lookup a campaign thread runs; an unexpected error is a temporary failure
    (a rerun tries the family again), never an exception."""
    try:
        return Looked(family, *_lookup_outcome(family, month, client))
    except Exception:  # noqa: BLE001 - one family's failure never stops the campaign
        logger.exception("QF campaign: lookup of family %s failed", family.pk)
        return Looked(family, QfRefreshOutcome.Status.FAILED, "internal")


def _refresh_reason(record) -> str:
    effective = first_of_next_month(timezone.localdate())
    return (
        f"Mise à jour annuelle du quotient familial ({record}) : tarif applicable "
        f"à partir du 1er {date_format(effective, 'F Y')}."
    )


class CampaignWriter:
    """Writes looked-up families in batches, from one thread: per batch, one
    transaction (new QFs, re-priced enrolments and their audit, outcome rows), then the
    families' e-mails through one mail connection. A batch that fails is written again
    one family at a time, so that one family's error costs only its own result."""

    def __init__(self, commune, month: datetime.date, summary, mailer, progress=None):
        self.commune = commune
        self.month = month
        self.summary = summary
        self.mailer = mailer
        self.progress = progress
        self.done = 0

    def write(self, batch: list[Looked]) -> list[QfRefreshOutcome]:
        try:
            outcomes, figures, stale = self._save(batch)
        except Exception:  # noqa: BLE001 - retried family by family below
            if len(batch) == 1:
                outcomes = [_record_failure(batch[0].family, self.month)]
                figures, stale = {}, []
            else:
                logger.warning(
                    "QF campaign: a batch failed, writing it family by family"
                )
                return [outcome for one in batch for outcome in self.write([one])]
        self.summary.stale.extend(stale)
        try:
            self.summary.notified += send_notices(outcomes, self.commune, self.mailer)
        except Exception:  # noqa: BLE001 - the QFs are saved; a rerun sends the e-mails
            logger.exception("QF campaign: e-mails of a batch failed")
        for outcome in outcomes:
            repriced, kept = figures.get(outcome.family_id, (0, 0))
            self.summary.count(outcome.status, repriced=repriced, kept=kept)
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.summary.to_do, self.summary)
        return outcomes

    def _save(self, batch: list[Looked]):
        """One transaction for the batch: (outcomes, {family: (repriced, kept)},
        stale QFs)."""
        effective = first_of_next_month(timezone.localdate())
        now = timezone.now()
        answered = [item for item in batch if item.result is not None]
        figures, stale = {}, []
        with transaction.atomic():
            records = enrolments.record_api_quotients(
                [(item.family, item.result) for item in answered]
            )
            by_family = {record.family_id: record for record in records}
            to_price, kept = [], Counter()
            rows = enrolments.for_repricing(
                open_enrolments(list(by_family), effective)
            ).order_by("pk")
            for enrolment in rows:
                record = by_family[enrolment.family_id]
                if enrolment.price_overridden:
                    kept[enrolment.family_id] += 1
                    continue
                qf = enrolments.QfChoice(Enrolment.QfSource.API, record)
                to_price.append((enrolment, qf, _refresh_reason(record)))
            changes = enrolments.reprice_many(
                to_price, self.commune, kind=EnrolmentPriceChange.Kind.QF_REFRESH
            )
            repriced = Counter(change.enrolment.family_id for change in changes)
            for item in answered:
                record = by_family[item.family.pk]
                if record.is_stale:
                    stale.append(f"{item.family.name} ({record})")
                figures[item.family.pk] = (
                    repriced[item.family.pk],
                    kept[item.family.pk],
                )
            outcomes = QfRefreshOutcome.objects.bulk_create(
                [
                    QfRefreshOutcome(
                        family=item.family,
                        month=self.month,
                        status=item.status,
                        error_kind=item.error_kind,
                        quotient=by_family.get(item.family.pk),
                        repriced=figures.get(item.family.pk, (0, 0))[0],
                        at=now,
                        notified_at=None,
                    )
                    for item in batch
                ],
                update_conflicts=True,
                unique_fields=["family", "month"],
                update_fields=[
                    "status",
                    "error_kind",
                    "quotient",
                    "repriced",
                    "at",
                    "notified_at",
                ],
            )
        return outcomes, figures, stale


NOTICES = {
    QfRefreshOutcome.Status.REFRESHED: (
        "Votre quotient familial a été mis à jour",
        "backoffice/email/qf_refreshed.txt",
    ),
    QfRefreshOutcome.Status.NOT_FOUND: (
        "Votre quotient familial n'a pas pu être mis à jour",
        "backoffice/email/qf_not_found.txt",
    ),
}


def send_notices(outcomes, commune, mailer) -> int:
    """Tell each family its result (a new QF and its prices, or how to send a
    document), through the `mailer` connection; returns the e-mails sent. Outcomes
    are marked notified once sent (a family without an address too)."""
    told = [outcome for outcome in outcomes if outcome.status in NOTICES]
    if not told:
        return 0
    running = {}
    refreshed = [o.family_id for o in told if o.quotient_id is not None]
    if refreshed:
        effective = first_of_next_month(timezone.localdate())
        for enrolment in (
            open_enrolments(refreshed, effective)
            .select_related("child", "period__activity")
            .order_by("pk")
        ):
            running.setdefault(enrolment.family_id, []).append(enrolment)
    messages = []
    for outcome in told:
        subject, template = NOTICES[outcome.status]
        context = {"commune": commune}
        if outcome.status == QfRefreshOutcome.Status.REFRESHED:
            context.update(
                record=outcome.quotient,
                effective=first_of_next_month(timezone.localtime(outcome.at).date()),
                enrolments=running.get(outcome.family_id, []),
            )
        message = family_message(
            outcome.family, subject, template, context, connection=mailer
        )
        if message is not None:
            messages.append(message)
    sent = 0
    if messages:
        try:
            mailer.open()  # kept open from one batch to the next
            sent = mailer.send_messages(messages)
        except Exception:
            mailer.close()  # the next batch opens a new connection
            raise
    QfRefreshOutcome.objects.filter(pk__in=[o.pk for o in told]).update(
        notified_at=timezone.now()
    )
    return sent or 0


def notify_pending(month: datetime.date, commune, mailer) -> int:
    """E-mails an earlier, interrupted run did not send."""
    pending = QfRefreshOutcome.objects.filter(
        month=month,
        notified_at__isnull=True,
        status__in=list(NOTICES),
    ).select_related("quotient")
    pending = pending.prefetch_related("family__guardians", "family__users")
    return send_notices(list(pending), commune, mailer)


def campaign_workers() -> int:
    """Families looked up at once: enough to keep the API's allowance busy while
    answers travel (the client's shared throttle keeps the pace); QF_CAMPAIGN_WORKERS."""
    return max(1, int(getattr(settings, "QF_CAMPAIGN_WORKERS", 16)))


CONFIGURATION_STOP = (
    "API Particulier refuse la configuration (jeton, SIRET) : "
    "corrigez-la puis relancez la campagne."
)


def _record_failure(family, month: datetime.date) -> QfRefreshOutcome:
    """An unexpected error writing one family: kept as a temporary failure (a rerun
    tries it again) so that the campaign goes on with the others."""
    logger.exception("QF campaign: family %s failed", family.pk)
    outcome, _ = QfRefreshOutcome.objects.update_or_create(
        family=family,
        month=month,
        defaults={
            "status": QfRefreshOutcome.Status.FAILED,
            "error_kind": "internal",
            "quotient": None,
            "repriced": 0,
            "at": timezone.now(),
            "notified_at": None,
        },
    )
    return outcome


def run_campaign(
    commune,
    month: QfMonth,
    *,
    client=None,
    limit=None,
    progress=None,
    workers=None,
    should_stop=None,
) -> CampaignSummary:
    """Refresh the QF of every consenting family not yet done for `month`.

    Families are read before (in a few queries), looked up by `workers` threads
    (campaign_workers() by default) and written by this thread in batches, as the
    answers come. `progress(done, total, summary)` is called after each family, in
    this thread. A configuration error (token, recipient SIRET) stops the run: every
    call would fail the same way; so does `should_stop()` turning true (the run lost
    its lease). However the run ends, lookups in flight finish and are written. An
    unexpected error for one family is recorded as a temporary failure and the
    campaign goes on.
    """
    month_date = datetime.date(month.year, month.month, 1)
    summary = CampaignSummary(month_date)
    mailer = mail.get_connection()  # one connection for the campaign's e-mails
    try:
        try:
            summary.notified += notify_pending(month_date, commune, mailer)
        except Exception:  # noqa: BLE001 - the next rerun sends them
            logger.exception("QF campaign: e-mails held back by an earlier run failed")
        families = campaign_families(month_date)
        summary.already_done = QfRefreshOutcome.objects.filter(
            month=month_date, status__in=QfRefreshOutcome.FINAL
        ).count()
        families = list(families[:limit] if limit is not None else families)
        summary.to_do = len(families)
        writer = CampaignWriter(commune, month_date, summary, mailer, progress)
        workers = campaign_workers() if workers is None else max(1, workers)

        def look_up(family):
            return _look_up(family, month, client)

        if workers == 1 or connection.in_atomic_block:
            lookups = InlineLookups(look_up, families)
        else:
            lookups = LookupPool(look_up, families, workers, name="qf-campaign")
        try:
            while (batch := lookups.next_batch()) is not None:
                writer.write(batch)
                if any(item.error_kind == ErrorKind.CONFIGURATION for item in batch):
                    summary.stopped = CONFIGURATION_STOP
                    lookups.stop()
                elif should_stop is not None and should_stop():
                    lookups.stop()
        finally:
            # Answers already paid for are written, however the run ends.
            left = lookups.close()
            if left:
                writer.write(left)
    finally:
        mailer.close()
    return summary
