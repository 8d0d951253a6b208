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
import queue
import threading
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections, transaction
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
from .mail import send_family_mail

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


def _reprice_open(family, commune, record, effective) -> tuple[int, int]:
    """(enrolments re-priced, prices fixed by hand left alone)."""
    qf = enrolments.QfChoice(Enrolment.QfSource.API, record)
    reason = (
        f"Mise à jour annuelle du quotient familial ({record}) : tarif applicable "
        f"à partir du 1er {date_format(effective, 'F Y')}."
    )
    repriced = kept = 0
    for item in open_enrolments(family, effective):
        if item.price_overridden:
            kept += 1
            continue
        change = enrolments.reprice(
            item,
            commune,
            qf,
            kind=EnrolmentPriceChange.Kind.QF_REFRESH,
            reason=reason,
        )
        repriced += change is not None
    return repriced, kept


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


def refresh_one(family, commune, month: QfMonth, summary, *, client=None):
    """Fetch, record and re-price one family; returns its outcome row."""
    month_date = datetime.date(month.year, month.month, 1)
    status, error_kind, result = _lookup_outcome(family, month, client)
    with transaction.atomic():
        record, repriced, kept = None, 0, 0
        if result is not None:
            record = enrolments.record_api_quotient(family, result)
            if record.is_stale:
                summary.stale.append(f"{family.name} ({record})")
            effective = first_of_next_month(timezone.localdate())
            repriced, kept = _reprice_open(family, commune, record, effective)
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
    summary.count(status, repriced=repriced, kept=kept)
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


def campaign_workers() -> int:
    """Families looked up at once: enough to keep the API's allowance busy while
    answers travel (the client's shared throttle keeps the pace); QF_CAMPAIGN_WORKERS."""
    return max(1, int(getattr(settings, "QF_CAMPAIGN_WORKERS", 8)))


CONFIGURATION_STOP = (
    "API Particulier refuse la configuration (jeton, SIRET) : "
    "corrigez-la puis relancez la campagne."
)


def _record_failure(family, month: QfMonth, summary) -> QfRefreshOutcome:
    """An unexpected error for one family: kept as a temporary failure (a rerun tries
    it again) so that the campaign goes on with the others."""
    logger.exception("QF campaign: family %s failed", family.pk)
    outcome, _ = QfRefreshOutcome.objects.update_or_create(
        family=family,
        month=datetime.date(month.year, month.month, 1),
        defaults={
            "status": QfRefreshOutcome.Status.FAILED,
            "error_kind": "internal",
            "quotient": None,
            "repriced": 0,
            "at": timezone.now(),
            "notified_at": None,
        },
    )
    summary.count(QfRefreshOutcome.Status.FAILED)
    return outcome


def _process(family, commune, month: QfMonth, summary, client):
    """One family, start to end: (outcome, e-mail sent). Never raises an Exception."""
    try:
        outcome = refresh_one(family, commune, month, summary, client=client)
    except Exception:  # noqa: BLE001 - one family's failure never stops the campaign
        return _record_failure(family, month, summary), False
    try:
        return outcome, notify(outcome, commune)
    except Exception:  # noqa: BLE001 - the QF is saved; a rerun sends the e-mail
        logger.exception("QF campaign: e-mail to family %s failed", family.pk)
        return outcome, False


def _family(pk: int) -> Family:
    return Family.objects.prefetch_related("guardians").get(pk=pk)


def _run_in_order(pks, commune, month, summary, client):
    """One family after the other, in this thread (inside a transaction, worker
    threads would not see its rows)."""
    for pk in pks:
        yield _process(_family(pk), commune, month, summary, client)


def _run_in_threads(pks, commune, month, summary, client, workers, stop):
    """Families looked up by `workers` threads, each taking the next family from one
    queue (none is taken twice); the client's throttle, shared by the threads, keeps
    the API's rate. Results are yielded to the calling thread as they come."""
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for pk in pks:
        pending.put(pk)
    results: queue.SimpleQueue = queue.SimpleQueue()

    def work():
        try:
            while not stop.is_set():
                try:
                    pk = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    family = _family(pk)
                except Exception:  # noqa: BLE001 - deleted meanwhile, database error
                    logger.exception("QF campaign: family %s unreadable", pk)
                    results.put(None)
                    continue
                results.put(_process(family, commune, month, summary, client))
        finally:
            connections.close_all()  # this thread's connections, not the caller's

    threads = [
        threading.Thread(target=work, name=f"qf-campaign-{index}", daemon=True)
        for index in range(min(workers, len(pks)))
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in pks:
            while True:
                try:
                    item = results.get(timeout=0.5)
                    break
                except queue.Empty:
                    if not any(thread.is_alive() for thread in threads):
                        item = StopIteration
                        break
            if item is StopIteration:
                return
            if item is not None:
                yield item
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def run_campaign(
    commune, month: QfMonth, *, client=None, limit=None, progress=None, workers=None
) -> CampaignSummary:
    """Refresh the QF of every consenting family not yet done for `month`.

    Families are looked up by `workers` threads (campaign_workers() by default).
    `progress(done, total, summary)` is called after each family, in this thread. A
    configuration error (token, recipient SIRET) stops the run: every call would fail
    the same way. An unexpected error for one family is recorded as a temporary
    failure and the campaign goes on.
    """
    month_date = datetime.date(month.year, month.month, 1)
    summary = CampaignSummary(month_date)
    summary.notified += notify_pending(month_date, commune)
    pks = list(campaign_families(month_date).values_list("pk", flat=True))
    summary.already_done = QfRefreshOutcome.objects.filter(
        month=month_date, status__in=QfRefreshOutcome.FINAL
    ).count()
    if limit is not None:
        pks = pks[:limit]
    summary.to_do = len(pks)
    workers = campaign_workers() if workers is None else max(1, workers)
    stop = threading.Event()
    if workers == 1 or connection.in_atomic_block:
        results = _run_in_order(pks, commune, month, summary, client)
    else:
        results = _run_in_threads(pks, commune, month, summary, client, workers, stop)
    try:
        for done, (outcome, sent) in enumerate(results, start=1):
            summary.notified += sent
            if progress is not None:
                progress(done, summary.to_do, summary)
            if outcome.error_kind == ErrorKind.CONFIGURATION:
                summary.stopped = CONFIGURATION_STOP
                break
    finally:
        stop.set()
        results.close()  # an interrupted run waits for the families in flight
    return summary
