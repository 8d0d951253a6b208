"""What the family is told about an invoice and direct debit: the sentence on the
invoice page, its PDF and its e-mail (the pre-notification of the debit date)."""

from __future__ import annotations

from home.french import french_date

from . import returns
from .mandates import active_mandate, debit_date
from .models import DebitLine


def notice(invoice) -> str:
    if invoice.is_credit_note:
        return ""
    line = DebitLine.objects.filter(invoice=invoice).select_related("mandate").first()
    if line is not None:
        account = f"le compte se terminant par {line.mandate.iban_end}"
        when = french_date(line.collection_date)
        if line.status == DebitLine.Status.RETURNED:
            code = getattr(getattr(line, "ret", None), "reason_code", "")
            return (
                f"Le prélèvement du {when} a été rejeté par votre banque "
                f"({returns.label(code)}) : payez cette facture en ligne ou au guichet."
            )
        if line.status == DebitLine.Status.COLLECTED:
            return f"Cette facture a été prélevée le {when} sur {account}."
        return (
            f"Cette facture sera prélevée le {when} sur {account} (mandat "
            f"{line.mandate.reference}) : vous n'avez rien à faire."
        )
    if invoice.outstanding() <= 0:
        return ""
    mandate = active_mandate(invoice.family_id)
    if mandate is None:
        return ""
    when = debit_date(invoice, mandate)
    if when is None:
        return (
            "Cette facture ne sera pas prélevée : son échéance est trop proche pour le "
            "préavis du prélèvement. Payez-la en ligne ou au guichet."
        )
    return (
        f"Cette facture sera prélevée le {french_date(when)} sur le compte se "
        f"terminant par {mandate.iban_end} (mandat {mandate.reference}) : vous "
        "n'avez rien à faire."
    )
