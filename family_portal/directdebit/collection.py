"""What happens after the file left: on the collection date each debit is recorded as a
payment (through the payments service); a debit the bank returned reverses that payment,
reopens the invoice, tells the family, and a closed account suspends the mandate."""

from __future__ import annotations

import datetime
import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from activities.pricing.formatting import format_money
from family_portal.certificates.content import commune_settings
from family_portal.payments.models import Method
from family_portal.payments.services import (
    PaymentRefused,
    record_payment,
    reverse_payment,
)
from home.french import french_date
from home.site_url import absolute_url

from . import returns
from .mandates import suspend
from .models import DebitLine, DebitReturn

LOGGER = logging.getLogger("family_portal.directdebit")


class ReturnRefused(Exception):
    """The message is for the agent (French)."""


def collect_due(today: datetime.date | None = None) -> int:
    """Record as paid, on their collection date, the debits sent whose date has come
    (idempotent: a line is locked and recorded once). Returns how many."""
    today = today or timezone.localdate()
    done = 0
    due = DebitLine.objects.filter(
        status=DebitLine.Status.SENT, collection_date__lte=today
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            line = (
                DebitLine.objects.select_for_update()
                .select_related("invoice__family", "invoice__regie", "batch")
                .get(pk=pk)
            )
            if line.status != DebitLine.Status.SENT:
                continue
            invoice = line.invoice
            line.payment = record_payment(
                invoice.family,
                line.amount,
                Method.DIRECT_DEBIT,
                received_on=line.collection_date,
                recorded_by=line.batch.created_by,
                invoices=[invoice],
                regie=invoice.regie,
                reference=line.end_to_end_id,
            )
            line.status = DebitLine.Status.COLLECTED
            line.save(update_fields=["payment", "status"])
            done += 1
    return done


def record_return(
    line: DebitLine,
    *,
    reason_code: str,
    returned_on: datetime.date,
    by,
    note: str = "",
) -> DebitReturn:
    """The bank returned ``line``'s debit: the payment recorded for it is reversed (the
    invoice owes again), the family is told by e-mail, and an account-closed reason
    suspends the mandate."""
    if reason_code not in returns.REASONS:
        raise ReturnRefused("Choisissez le code motif du rejet.")
    label = returns.label(reason_code)
    with transaction.atomic():
        line = (
            # of=self: PostgreSQL locks no nullable side of an outer join (the payment)
            DebitLine.objects.select_for_update(of=("self",))
            .select_related("invoice__family", "mandate", "payment")
            .get(pk=line.pk)
        )
        if line.status == DebitLine.Status.RETURNED:
            raise ReturnRefused("Le rejet de ce prélèvement est déjà enregistré.")
        if line.payment is not None:
            try:
                reverse_payment(
                    line.payment,
                    reason=f"Prélèvement rejeté par la banque : {reason_code} — {label}",
                    by=by,
                )
            except PaymentRefused as error:
                raise ReturnRefused(str(error)) from error
        line.status = DebitLine.Status.RETURNED
        line.save(update_fields=["status"])
        returned = DebitReturn.objects.create(
            line=line,
            reason_code=reason_code,
            returned_on=returned_on,
            note=note.strip(),
            entered_by=by,
        )
        if returns.ends_mandate(reason_code):
            suspend(
                line.mandate,
                by=by,
                reason=f"Prélèvement de la facture {line.invoice.number} rejeté : "
                f"{reason_code} — {label}",
            )
        transaction.on_commit(lambda: tell_family(returned.pk))
    return returned


def tell_family(return_pk: int) -> bool:
    """E-mail the family that its debit was returned (French); False without address."""
    returned = DebitReturn.objects.select_related(
        "line__invoice__family", "line__invoice__regie", "line__mandate"
    ).get(pk=return_pk)
    line = returned.line
    invoice = line.invoice
    recipients = [user.email for user in invoice.family.users.all() if user.email]
    if not recipients:
        return False
    commune = commune_settings()
    context = {
        "invoice": invoice,
        "line": line,
        "reason": returns.label(returned.reason_code),
        "amount": format_money(line.amount),
        "collection_date": french_date(line.collection_date),
        "mandate_ended": not line.mandate.is_active
        and returns.ends_mandate(returned.reason_code),
        "invoice_url": absolute_url(
            reverse("family_portal:billing:detail", args=[invoice.pk])
        ),
        "mandate_url": absolute_url(reverse("family_portal:directdebit:mandate")),
        "author": getattr(commune, "name", "") or "Portail Famille",
    }
    with translation.override("fr"):
        subject = render_to_string("directdebit/email/return_subject.txt", context)
        body = render_to_string("directdebit/email/return_body.txt", context)
    try:
        EmailMessage(subject.strip(), body, to=recipients).send()
    except Exception:  # noqa: BLE001 - the return stays recorded; the agent sees it
        LOGGER.exception("The return of invoice %s could not be e-mailed", invoice.pk)
        return False
    DebitReturn.objects.filter(pk=return_pk).update(family_told_at=timezone.now())
    return True
