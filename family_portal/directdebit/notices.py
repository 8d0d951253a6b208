"""What the family is told about an invoice and direct debit: the sentence on the
invoice page, its PDF and its e-mail (the pre-notification of the debit date), the
short mention in "Mes factures", and whether the invoice may still be paid online.

PayFiP and the debit never both take the money. An invoice in a debit file sent to the
bank (until the bank returns it) is not paid online any more: the page says when and
from which account it will be debited. An invoice the family's active mandate will put
in a coming file says the same, and may still be paid before the file leaves (a parent
who prefers to pay now, by card or at the counter): the export then takes only what is
left, leaves out an invoice paid or being paid online, and locks the invoices it takes
so that no online payment starts meanwhile.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from activities.pricing.formatting import format_money
from home.french import french_date

from . import returns
from .mandates import active_mandate, debit_date, too_late_for_the_bank
from .models import DebitLine, Mandate


@dataclass(frozen=True)
class Plan:
    """How direct debit stands for one invoice.

    ``state``: ``sent`` (in a file at the bank), ``collected``, ``returned``,
    ``scheduled`` (the active mandate will debit it on ``date``), ``short_notice`` (the
    family had not the notice period before the due date) or ``missed`` (the due date
    came too close before a file took it)."""

    state: str
    date: datetime.date | None
    iban_end: str
    reference: str
    amount: object = None
    reason_code: str = ""

    @property
    def takes_the_money(self) -> bool:
        return self.state in ("sent", "scheduled")


def plan_of(invoice, today: datetime.date | None = None) -> Plan | None:
    """None when direct debit has nothing to do with ``invoice``."""
    if invoice.is_credit_note:
        return None
    line = DebitLine.objects.filter(invoice=invoice).select_related("mandate").first()
    if line is not None:
        return _line_plan(line)
    if invoice.outstanding() <= 0:
        return None
    mandate = active_mandate(invoice.family_id)
    return _mandate_plan(invoice, mandate, today)


def _line_plan(line: DebitLine) -> Plan:
    code = ""
    if line.status == DebitLine.Status.RETURNED:
        code = getattr(getattr(line, "ret", None), "reason_code", "")
    return Plan(
        line.status,
        line.collection_date,
        line.mandate.iban_end,
        line.mandate.reference,
        line.amount,
        code,
    )


def _at_the_bank(invoice) -> Plan | None:
    """The plan of an invoice in a debit file sent to the bank (one query: none of
    the mandate's, which only says what a coming file will do), else None."""
    line = (
        DebitLine.objects.filter(invoice=invoice, status=DebitLine.Status.SENT)
        .select_related("mandate")
        .first()
    )
    return _line_plan(line) if line is not None else None


def _mandate_plan(invoice, mandate: Mandate | None, today) -> Plan | None:
    if mandate is None or invoice.due_date is None:
        return None
    when = debit_date(invoice, mandate)
    state = "scheduled"
    if when is None:
        state = "short_notice"
    elif too_late_for_the_bank(when, today):
        state = "missed"
    return Plan(state, when, mandate.iban_end, mandate.reference)


def notice(invoice, today: datetime.date | None = None) -> str:
    plan = plan_of(invoice, today)
    if plan is None:
        return ""
    when = french_date(plan.date) if plan.date else ""
    account = f"le compte se terminant par {plan.iban_end}"
    if plan.state == DebitLine.Status.RETURNED:
        return (
            f"Le prélèvement du {when} a été rejeté par votre banque "
            f"({returns.label(plan.reason_code)}) : payez cette facture en ligne ou "
            "au guichet."
        )
    if plan.state == DebitLine.Status.COLLECTED:
        return f"Cette facture a été prélevée le {when} sur {account}."
    if plan.state == DebitLine.Status.SENT:
        return (
            f"Cette facture sera prélevée le {when} sur {account} (mandat "
            f"{plan.reference}), pour {format_money(plan.amount)} : vous n'avez rien "
            "à faire. Ne la payez pas d'une autre façon."
        )
    if plan.state == "short_notice":
        return (
            "Cette facture ne sera pas prélevée : son échéance est trop proche pour le "
            "préavis du prélèvement. Payez-la en ligne ou au guichet."
        )
    if plan.state == "missed":
        return (
            "Cette facture ne sera pas prélevée : son échéance est passée ou trop "
            "proche. Payez-la en ligne ou au guichet."
        )
    return (
        f"Cette facture sera prélevée le {when} sur {account} (mandat "
        f"{plan.reference}) : vous n'avez rien à faire. Si vous la payez avant l'envoi "
        "du prélèvement à la banque (en ligne ou au guichet), seul ce qui resterait dû "
        "sera prélevé : elle n'est jamais payée deux fois."
    )


def short_notice(invoice, today: datetime.date | None = None) -> str:
    """A few words for "Mes factures" when the debit takes (or took) the invoice."""
    plan = plan_of(invoice, today)
    if plan is None:
        return ""
    if plan.state == DebitLine.Status.COLLECTED:
        return f"prélevée le {french_date(plan.date)}"
    if plan.takes_the_money:
        return (
            f"prélèvement le {french_date(plan.date)} sur le compte se terminant par "
            f"{plan.iban_end}"
        )
    return ""


def online_payment_refusal(invoice) -> str | None:
    """Payments' question before offering or starting "Payer en ligne": a French
    sentence when the invoice is in a debit file at the bank, else None."""
    plan = _at_the_bank(invoice)
    if plan is None:
        return None
    return (
        f"Cette facture sera prélevée le {french_date(plan.date)} sur le compte se "
        f"terminant par {plan.iban_end} : le prélèvement est parti à la banque, elle "
        "ne se paie plus en ligne, pour ne pas être payée deux fois."
    )


def counter_warning(invoice) -> str | None:
    """For the agents at the counter: the invoice is in a debit file at the bank."""
    plan = _at_the_bank(invoice)
    if plan is None:
        return None
    return (
        f"Prélèvement de {format_money(plan.amount)} parti à la banque pour le "
        f"{french_date(plan.date)} (mandat {plan.reference}, compte se terminant par "
        f"{plan.iban_end}) : payée aussi au guichet, la facture le serait deux fois "
        "et le prélèvement irait à l'avoir de la famille."
    )
