"""Deleting personal data past its retention: QF records and the documents behind them,
rejected documents, batches of certificates printed more than
`batch_retention_days` ago (the PDF to print, not the certificates), and API call logs
past 36 months
(through qf_connector's own ApiCallLog.purge_expired). Batched: an interrupted purge
has deleted whole batches only, and a rerun finishes the work."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from qf_connector.models import ApiCallLog, months_before

from ..models import CertificateBatch, QfDocument, QuotientRecord

BATCH = 500


@dataclass
class PurgeSummary:
    dry_run: bool
    quotients: int = 0
    documents: int = 0
    certificate_batches: int = 0
    call_logs: int = 0


def expired_quotients(rules, today: datetime.date):
    cutoff = months_before(today, rules.qf_retention_months)
    return QuotientRecord.objects.filter(valid_until__lt=cutoff)


def expired_documents(rules, now: datetime.datetime, today: datetime.date):
    """Rejected documents past their retention, and accepted ones whose QF records are
    all past theirs (a document lives as long as the QF it justifies)."""
    qf_cutoff = months_before(today, rules.qf_retention_months)
    rejected = QfDocument.objects.filter(
        status=QfDocument.Status.REJECTED,
        checked_at__lt=months_before(now, rules.document_retention_months),
    )
    accepted = QfDocument.objects.filter(status=QfDocument.Status.ACCEPTED).exclude(
        quotients__valid_until__gte=qf_cutoff
    )
    return rejected | accepted


def expired_batches(rules, now: datetime.datetime):
    """Certificate batches asked for longer ago than their retention."""
    return CertificateBatch.objects.filter(
        created_at__lt=now - datetime.timedelta(days=rules.batch_retention_days)
    )


def _delete_in_batches(queryset, on_batch, before_delete=None) -> int:
    deleted = 0
    while True:
        batch = list(queryset.order_by("pk")[:BATCH])
        if not batch:
            return deleted
        with transaction.atomic():
            if before_delete is not None:
                before_delete(batch)
            queryset.model.objects.filter(pk__in=[item.pk for item in batch]).delete()
        deleted += len(batch)
        on_batch(len(batch))


def _delete_files(rows) -> None:
    # Files go first: an interruption then leaves rows without files (deleted by the
    # rerun), never files without rows (personal data nobody would find again).
    # Documents and certificate batches both keep theirs in `file`.
    for row in rows:
        if row.file:
            row.file.delete(save=False)


def purge(rules, *, dry_run: bool, now=None, progress=None) -> PurgeSummary:
    """Delete (or, with `dry_run`, count) what is past its retention.

    `progress(label, done, total)` is called after each batch.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    summary = PurgeSummary(dry_run)
    quotients = expired_quotients(rules, today)
    # The same documents before and after their QF records go: those whose records
    # are all expired.
    documents = expired_documents(rules, now, today).distinct()
    batches = expired_batches(rules, now)
    call_logs = ApiCallLog.objects.expired(now)
    if dry_run:
        summary.quotients = quotients.count()
        summary.documents = documents.count()
        summary.certificate_batches = batches.count()
        summary.call_logs = call_logs.count()
        return summary

    def reporter(label, total):
        done = 0

        def on_batch(count):
            nonlocal done
            done += count
            if progress is not None:
                progress(label, done, total)

        return on_batch

    summary.quotients = _delete_in_batches(
        quotients, reporter("Quotients familiaux", quotients.count())
    )
    summary.documents = _delete_in_batches(
        documents, reporter("Justificatifs", documents.count()), _delete_files
    )
    summary.certificate_batches = _delete_in_batches(
        batches, reporter("Lots d'attestations", batches.count()), _delete_files
    )
    summary.call_logs = ApiCallLog.purge_expired(now)
    if progress is not None and summary.call_logs:
        progress("Journal API Particulier", summary.call_logs, summary.call_logs)
    return summary
