"""Recording a quotient familial by hand, and the check of the documents families send:
accept (a QF record, the provisional enrolments settled, the parent told) or reject
(with a reason, the parent told)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone

from .. import enrolment as enrolments
from ..models import (
    AgentAction,
    EnrolmentPriceChange,
    QfDocument,
    QuotientRecord,
)
from ..uploads import name_for
from .audit import quotient_summary, record_action
from .mail import send_family_mail

# What the browser may display inline; anything else is downloaded.
INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png"}


class AlreadyChecked(Exception):
    """Another agent checked this document first."""


@dataclass
class QuotientEntry:
    """What an agent records: the value and where it comes from."""

    value: Decimal
    provider: str
    month: datetime.date
    formula: str = ""
    tax_year: int | None = None
    flags: list[str] = field(default_factory=list)
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None


def record_quotient(
    family,
    commune,
    entry: QuotientEntry,
    *,
    user,
    source: str = QuotientRecord.Source.MANUAL,
    document: QfDocument | None = None,
    kind: str = AgentAction.Kind.QF_RECORDED,
    reason: str = "",
) -> tuple[QuotientRecord, list[EnrolmentPriceChange]]:
    """Record a QF for the family (the previous one is superseded) and settle its
    provisional enrolments with it. Returns the record and the price changes."""
    today = timezone.localdate()
    with transaction.atomic():
        before = family.current_quotient()
        family.quotients.filter(status=QuotientRecord.Status.ACTIVE).update(
            status=QuotientRecord.Status.SUPERSEDED
        )
        valid_from = entry.valid_from or today
        record = QuotientRecord.objects.create(
            family=family,
            value=entry.value,
            provider=entry.provider,
            source=source,
            month=entry.month.replace(day=1),
            recorded_by=user,
            document=document,
            tax_year=entry.tax_year,
            formula=entry.formula,
            flags=sorted(set(entry.flags)),
            valid_from=valid_from,
            valid_until=entry.valid_until or QuotientRecord.school_year_end(valid_from),
        )
        changes = enrolments.reprice_family_pending(family, commune, record, user=user)
        record_action(
            kind,
            user,
            family=family,
            document=document,
            reason=reason,
            before={"quotient": quotient_summary(before)},
            after={
                "quotient": quotient_summary(record),
                "settled_enrolments": [change.enrolment_id for change in changes],
            },
        )
    return record, changes


def _locked_pending(document: QfDocument) -> QfDocument:
    locked = QfDocument.objects.select_for_update().get(pk=document.pk)
    if locked.status != QfDocument.Status.PENDING:
        raise AlreadyChecked
    return locked


def accept_document(
    document: QfDocument, commune, entry: QuotientEntry, *, user
) -> tuple[QuotientRecord, list[EnrolmentPriceChange]]:
    """The document is good: record its QF, settle the enrolments, tell the parent."""
    with transaction.atomic():
        document = _locked_pending(document)
        record, changes = record_quotient(
            document.family,
            commune,
            entry,
            user=user,
            source=QuotientRecord.Source.DOCUMENT,
            document=document,
            kind=AgentAction.Kind.DOCUMENT_ACCEPTED,
        )
        document.status = QfDocument.Status.ACCEPTED
        document.checked_by = user
        document.checked_at = timezone.now()
        document.save(update_fields=["status", "checked_by", "checked_at"])
        family = document.family
        settled = [change.enrolment for change in changes]
        transaction.on_commit(
            lambda: send_family_mail(
                family,
                "Votre justificatif de quotient familial est accepté",
                "backoffice/email/document_accepted.txt",
                {"record": record, "settled": settled, "commune": commune},
            )
        )
    return record, changes


def reject_document(document: QfDocument, commune, *, reason: str, user) -> QfDocument:
    """The document cannot be used: say why to the parent, who may send another one."""
    with transaction.atomic():
        document = _locked_pending(document)
        document.status = QfDocument.Status.REJECTED
        document.rejection_reason = reason
        document.checked_by = user
        document.checked_at = timezone.now()
        document.save(
            update_fields=["status", "rejection_reason", "checked_by", "checked_at"]
        )
        record_action(
            AgentAction.Kind.DOCUMENT_REJECTED,
            user,
            family=document.family,
            document=document,
            reason=reason,
            before={"status": QfDocument.Status.PENDING},
            after={"status": QfDocument.Status.REJECTED},
        )
        family = document.family
        transaction.on_commit(
            lambda: send_family_mail(
                family,
                "Votre justificatif de quotient familial n'a pas pu être accepté",
                "backoffice/email/document_rejected.txt",
                {"document": document, "reason": reason, "commune": commune},
            )
        )
    return document


def document_response(document: QfDocument) -> FileResponse:
    """The file itself, for an agent: shown inline when it is a PDF or an image."""
    if not document.file:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline = document.content_type in INLINE_TYPES
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=name_for(
            document.original_name or document.file.name.rsplit("/", 1)[-1],
            document.content_type,
        ),
        content_type=document.content_type if inline else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
