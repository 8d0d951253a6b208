"""The payments app's services: what other apps and the views call.

Counter payments, allocations, credit and reversals are in ``ledger.py`` and exported
from here (``record_payment``, ``use_credit``, ``reverse_payment``, ``paid_between``,
``credit_of``). Below: online payments, starting one, and recording one ONLY from
PayFiP's own answer.

Rules (PayFiP's, and ours): a notification or a browser coming back proves nothing; we
ask PayFiP about an ``idOp`` we created and record a payment only when its answer says
paid with our ``refdet`` and our amount. Recording is idempotent: the operation's row is
locked (``select_for_update``) and a payment is one-to-one with its operation.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail import hooks

from family_portal.billing.models import Invoice

from .ledger import (
    BalanceChanged,
    PaymentRefused,
    credit_of,
    open_invoices,
    paid_between,
    record_payment,
    reverse_payment,
    use_credit,
)
from .models import Method, OperationStatus, PaymentOperation
from .payfip import PayFiPError, create_operation, fetch_answer

__all__ = [
    "BalanceChanged",
    "ask_about",
    "PaymentRefused",
    "check_operation",
    "check_waiting",
    "counter_warning",
    "online_refusal",
    "credit_of",
    "open_invoices",
    "paid_between",
    "record_payment",
    "reverse_payment",
    "start_online_payment",
    "use_credit",
]

LOGGER = logging.getLogger("family_portal.payments")

# PayFiP's P5 ("not finished") is "waiting" this long after creation, then expired.
P5_WAITING = datetime.timedelta(hours=2)
MINIMUM = Decimal("1.00")
MAXIMUM = Decimal("100000.00")

# Apps that take an invoice's money another way (the direct debit) answer this hook:
# ``fn(invoice) -> str | None``, a French sentence when it must not be paid online.
ONLINE_REFUSAL_HOOK = "payments_online_payment_refusal"

RESULTS = {
    "P": OperationStatus.PAID,
    "V": OperationStatus.PAID,
    "R": OperationStatus.REFUSED,
    "Z": OperationStatus.REFUSED,
    "A": OperationStatus.ABANDONED,
}


def pending_operation(invoice) -> PaymentOperation | None:
    return invoice.payment_operations.filter(status=OperationStatus.WAITING).first()


def _first_answer(hook: str, invoice) -> str | None:
    """The first sentence an app answers ``hook`` with about ``invoice``, or None."""
    for answer in hooks.get_hooks(hook):
        sentence = answer(invoice)
        if sentence:
            return sentence
    return None


def online_refusal(invoice) -> str | None:
    """Why ``invoice`` may not be paid online because another app takes its money
    (a direct debit on its way), or None."""
    return _first_answer(ONLINE_REFUSAL_HOOK, invoice)


# The same apps tell the agents at the counter, ``fn(invoice) -> str | None``: a
# French sentence when money for the invoice is already on its way (a debit at the
# bank). The counter still takes a payment: what the invoice no longer owes when the
# other money comes goes to the family's credit, never lost.
COUNTER_WARNING_HOOK = "payments_counter_warning"


def counter_warning(invoice) -> str | None:
    return _first_answer(COUNTER_WARNING_HOOK, invoice)


def new_refdet(invoice) -> str:
    # 6 to 30 letters and digits, unique per régie: the invoice's id and a random part.
    return f"F{invoice.pk}{secrets.token_hex(5).upper()}"[:30]


def start_online_payment(
    invoice: Invoice, *, user, email: str, notify_url: str, return_url: str
) -> PaymentOperation:
    """Create the operation at PayFiP; the caller sends the browser to its page."""
    amount = invoice.outstanding()
    if invoice.is_credit_note or amount <= 0:
        raise PaymentRefused("Cette facture n'a plus rien à payer.")
    if not invoice.regie.payfip_client_number:
        raise PaymentRefused(
            "Le paiement en ligne n'est pas ouvert pour cette régie : "
            "payez au guichet du service famille."
        )
    if not MINIMUM <= amount <= MAXIMUM:
        raise PaymentRefused(
            "Le paiement en ligne accepte de 1,00 € à 100 000 € : "
            "payez ce montant au guichet du service famille."
        )
    refusal = online_refusal(invoice)
    if refusal:
        raise PaymentRefused(refusal)
    if pending_operation(invoice):
        raise PaymentRefused(
            "Un paiement en ligne de cette facture est déjà en cours. Attendez qu'il "
            "soit terminé (au plus deux heures) avant d'en commencer un autre."
        )
    refdet = new_refdet(invoice)
    try:
        idop = create_operation(
            numcli=invoice.regie.payfip_client_number,
            amount=amount,
            email=email,
            refdet=refdet,
            exer=str(invoice.issue_date.year),
            subject=f"Facture {invoice.number}",
            notify_url=notify_url,
            return_url=return_url,
        )
    except (PayFiPError, ValueError) as error:
        LOGGER.warning(
            "PayFiP refused an operation for invoice %s: %s", invoice.pk, error
        )
        raise PaymentRefused(
            "Le service de paiement en ligne ne répond pas pour le moment. "
            "Réessayez dans quelques minutes ; rien n'a été payé."
        ) from error
    try:
        with transaction.atomic():
            # Under the invoice's lock, which the debit export takes too: a debit file
            # made while PayFiP answered has it, or leaves it out for this operation.
            Invoice.objects.select_for_update().filter(pk=invoice.pk).values_list(
                "pk"
            ).get()
            refusal = online_refusal(invoice)
            if refusal:
                raise PaymentRefused(refusal)
            return PaymentOperation.objects.create(
                invoice=invoice,
                idop=idop,
                refdet=refdet,
                amount_cents=int(amount * 100),
                email=email,
                created_by=user,
            )
    except IntegrityError as error:  # another tab started one at the same moment
        raise PaymentRefused(
            "Un paiement en ligne de cette facture est déjà en cours."
        ) from error


def check_operation(idop: str, now=None) -> PaymentOperation | None:
    """Ask PayFiP about ``idop`` and record what its answer says (idempotent).

    None for an ``idOp`` we never created (logged and refused). Raises PayFiPError
    when PayFiP cannot answer: the operation stays waiting, to be asked again.
    """
    operation = (
        PaymentOperation.objects.select_related("invoice__family", "invoice__regie")
        .filter(idop=idop)
        .first()
    )
    if operation is None:
        LOGGER.warning("refused: notification for an unknown idOp %r", idop[:64])
        return None
    return ask_about(operation, now)


def ask_about(operation: PaymentOperation, now=None) -> PaymentOperation:
    """``check_operation`` for an operation already read with its invoice, family and
    régie (the notifications' check takes them so, a few at a time). The status read
    may be stale: settling is a compare-and-set, so a check that lost the race to
    another one records nothing."""
    if operation.status != OperationStatus.WAITING:
        return operation
    answer = fetch_answer(operation.idop)
    now = now or timezone.now()
    changes = {"checked_at": now}
    if answer.error == "P5" and now - operation.created_at < P5_WAITING:
        pass  # not finished yet: still waiting
    elif answer.error:  # P1, or P5 for too long: PayFiP no longer knows it
        changes.update(status=OperationStatus.EXPIRED, last_error=answer.error)
    else:
        status = _status_of(operation, answer)  # says why in operation.last_error
        changes.update(
            resultrans=answer.resultrans,
            answer_amount=answer.montant,
            answer_refdet=answer.refdet,
            numauto=answer.numauto,
            dattrans=answer.dattrans,
            heurtrans=answer.heurtrans,
            status=status,
            last_error=operation.last_error,
        )
    if "status" in changes:
        changes["settled_at"] = now
    with transaction.atomic():
        # Compare and set: the UPDATE locks the row and changes it only while it is
        # still waiting. Another check of the same operation at the same time waits
        # for this transaction, then changes nothing and records nothing.
        if not PaymentOperation.objects.filter(
            pk=operation.pk, status=OperationStatus.WAITING
        ).update(**changes):
            return PaymentOperation.objects.get(pk=operation.pk)
        for field, value in changes.items():
            setattr(operation, field, value)
        if operation.status == OperationStatus.PAID:
            _record(operation, now)
    return operation


def _status_of(operation: PaymentOperation, answer) -> str:
    status = RESULTS.get(answer.resultrans)
    if status is None:
        operation.last_error = f"résultat inconnu {answer.resultrans!r}"
        LOGGER.error("PayFiP answered %r for %s", answer.resultrans, operation.idop)
        return OperationStatus.ANOMALY
    if (
        answer.refdet != operation.refdet
        or answer.montant != str(operation.amount_cents)
        or (answer.idop and answer.idop != operation.idop)
    ):
        operation.last_error = (
            f"réponse différente : refdet {answer.refdet!r}, montant {answer.montant!r}"
        )
        LOGGER.error(
            "refused: PayFiP's answer for %s does not match (refdet %r, montant %r)",
            operation.idop,
            answer.refdet,
            answer.montant,
        )
        return OperationStatus.ANOMALY
    return status


def _record(operation: PaymentOperation, now) -> None:
    """PayFiP said paid: the money pays the operation's invoice, and what it no longer
    owes (paid at the counter meanwhile) goes to the family's credit."""
    invoice = operation.invoice
    amount = Decimal(operation.amount_cents) / 100
    received_on = timezone.localtime(now).date()
    if operation.dattrans:
        try:
            received_on = datetime.datetime.strptime(
                operation.dattrans, "%d%m%Y"
            ).date()
        except ValueError:
            pass
    record_payment(
        invoice.family,
        amount,
        Method.ONLINE,
        received_on=received_on,
        recorded_by=None,
        invoices=[invoice],
        regie=invoice.regie,
        reference=operation.numauto,
        operation=operation,
        recorded_at=now,
    )
    LOGGER.info(
        "recorded %s € on invoice %s (%s)", amount, operation.invoice_id, operation.idop
    )


def check_waiting(now=None) -> dict[str, int]:
    """The daily job: ask again about every waiting operation."""
    counts: dict[str, int] = {}
    for idop in PaymentOperation.objects.filter(
        status=OperationStatus.WAITING
    ).values_list("idop", flat=True):
        try:
            operation = check_operation(idop, now=now)
            key = operation.status
        except PayFiPError as error:
            LOGGER.warning("PayFiP could not answer about %s: %s", idop, error)
            key = "unreachable"
        counts[key] = counts.get(key, 0) + 1
    return counts
