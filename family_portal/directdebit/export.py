"""The monthly debit file (pain.008.001.02, written by sepaxml): which invoices go in
it, and the batch that records what was exported so that none is debited twice."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from sepaxml import SepaDD

from family_portal.billing.models import Invoice
from family_portal.payments.models import OperationStatus, PaymentOperation

from .mandates import debit_date, notice_date, sequence_of, too_late_for_the_bank
from .models import DebitBatch, DebitLine, Mandate

SCHEMA = "pain.008.001.02"


class ExportRefused(Exception):
    """The message is for the agent (French)."""


@dataclass
class Candidate:
    invoice: Invoice
    mandate: Mandate
    amount: Decimal
    collection_date: datetime.date | None
    sequence: str
    reason: str = ""  # why it is left out ("" when it goes in the file)

    @property
    def included(self) -> bool:
        return not self.reason


def candidates(today: datetime.date | None = None) -> list[Candidate]:
    """Every unpaid invoice of a family with an active mandate and not yet in a debit
    file, each with the reason it is left out ("" when it goes in)."""
    today = today or timezone.localdate()
    mandates = {
        mandate.family_id: mandate
        for mandate in Mandate.objects.filter(status=Mandate.Status.ACTIVE)
    }
    invoices = (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            family_id__in=mandates,
            direct_debit__isnull=True,
        )
        .select_related("family", "regie")
        .order_by("due_date", "pk")
    )
    # An online payment begun before the mandate: PayFiP may still take the money.
    paying_online = set(
        PaymentOperation.objects.filter(
            status=OperationStatus.WAITING, invoice__family_id__in=mandates
        ).values_list("invoice_id", flat=True)
    )
    sequences: dict[int, str] = {}
    found = []
    for invoice in invoices:
        # What is left to pay: a payment at the counter (or online) before the file
        # lowers the debit, or leaves the invoice out when nothing is left.
        amount = invoice.outstanding()
        if amount <= 0:
            continue
        mandate = mandates[invoice.family_id]
        if mandate.pk not in sequences:
            sequences[mandate.pk] = sequence_of(mandate)
        when = debit_date(invoice, mandate)
        reason = ""
        if invoice.due_date is None:
            reason = "Facture sans date d'échéance."
        elif invoice.pk in paying_online:
            reason = "Un paiement en ligne de cette facture est en cours."
        elif when is None:
            reason = (
                f"Préavis trop court : la famille l'a su le "
                f"{notice_date(invoice, mandate):%d/%m/%Y}, moins de "
                f"{settings.SEPA_PRENOTIFICATION_DAYS} jours avant l'échéance."
            )
        elif too_late_for_the_bank(when, today):
            reason = (
                "Échéance trop proche ou passée : le fichier doit parvenir à la banque "
                f"{settings.SEPA_SUBMISSION_DAYS} jours avant la date de prélèvement."
            )
        found.append(
            Candidate(invoice, mandate, amount, when, sequences[mandate.pk], reason)
        )
    return found


def _end_to_end_id(invoice: Invoice) -> str:
    # At most 35 characters; the invoice's number and a random part (SEPA set only).
    number = "".join(c for c in invoice.number if c.isalnum() or c in "-/")[:24]
    return f"{number}-{secrets.token_hex(4).upper()}"


def build_file(lines: list[DebitLine]) -> tuple[str, bytes]:
    """The message id and the pain.008.001.02 document of ``lines`` (sepaxml validates
    it against the schema it ships before giving it back)."""
    document = SepaDD(
        {
            "name": settings.SEPA_CREDITOR_NAME,
            "IBAN": settings.SEPA_CREDITOR_IBAN,
            "BIC": settings.SEPA_CREDITOR_BIC,
            "batch": True,
            "creditor_id": settings.SEPA_CREDITOR_ID,
            "currency": "EUR",
        },
        schema=SCHEMA,
        clean=True,
    )
    for line in lines:
        mandate, invoice = line.mandate, line.invoice
        payment = {
            "name": mandate.holder_name,
            "IBAN": mandate.iban,
            "amount": int(line.amount * 100),
            "type": line.sequence,
            "collection_date": line.collection_date,
            "mandate_id": mandate.reference,
            "mandate_date": mandate.signed_on,
            "description": f"Facture {invoice.number} - {invoice.regie.name}",
            "endtoend_id": line.end_to_end_id,
        }
        if mandate.bic:
            payment["BIC"] = mandate.bic
        document.add_payment(payment)
    return document.msg_id, document.export(validate=True)


def export(user, today: datetime.date | None = None) -> DebitBatch:
    """Record a batch of every invoice that can be debited, and its file."""
    if not settings.SEPA_CREDITOR_ID:
        raise ExportRefused(
            "L'identifiant créancier SEPA (ICS) de la commune n'est pas configuré."
        )
    now = timezone.now()
    chosen = [c for c in candidates(today) if c.included]
    if not chosen:
        raise ExportRefused("Aucune facture à prélever pour le moment.")
    try:
        with transaction.atomic():
            # Lock them (as payments does, in id order), then read them again: a
            # payment or an online payment begun meanwhile lowers or leaves them out.
            ids = {c.invoice.pk for c in chosen}
            list(
                Invoice.objects.select_for_update()
                .filter(pk__in=ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            chosen = [
                c for c in candidates(today) if c.included and c.invoice.pk in ids
            ]
            if not chosen:
                raise ExportRefused("Aucune facture à prélever pour le moment.")
            batch = DebitBatch.objects.create(
                message_id=f"pending-{secrets.token_hex(8)}",
                created_at=now,
                created_by=user,
                creditor_id=settings.SEPA_CREDITOR_ID,
                total=sum((c.amount for c in chosen), Decimal("0.00")),
                count=len(chosen),
                content="",
            )
            lines = DebitLine.objects.bulk_create(
                DebitLine(
                    batch=batch,
                    invoice=c.invoice,
                    mandate=c.mandate,
                    amount=c.amount,
                    sequence=c.sequence,
                    collection_date=c.collection_date,
                    end_to_end_id=_end_to_end_id(c.invoice),
                )
                for c in chosen
            )
            batch.message_id, content = build_file(lines)
            batch.content = content.decode("utf-8")
            batch.save(update_fields=["message_id", "content"])
    except IntegrityError as error:  # another agent exported the same invoices
        raise ExportRefused(
            "Un autre fichier vient d'être exporté avec ces factures : rechargez la "
            "page, rien n'a été prélevé deux fois."
        ) from error
    return batch
