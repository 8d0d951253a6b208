"""The audit trail in French, as agents read it: "3,50 €", status labels, "janvier 2026"
(the inspect screens, the price history, the audit list)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.formats import date_format

from activities.pricing.formatting import format_money

from .enrolments import Enrolment
from .quotients import QuotientRecord

FIELD_LABELS = {
    "amount": "tarif",
    "status": "état",
    "value": "QF",
    "qf_value": "QF",
    "quotient": "quotient",
    "source": "origine",
    "qf_source": "origine du QF",
    "provider": "organisme",
    "month": "mois",
    "bracket": "tranche",
    "capacity": "places",
    "period": "période",
    "version": "barème",
    "changed": "inscriptions modifiées",
    "enrolments": "inscriptions",
    "certificate": "attestation",
}
MONEY_FIELDS = {"amount", "value", "qf_value"}


def _choice_labels():
    return {
        "status": dict(Enrolment.Status.choices),
        "qf_source": dict(Enrolment.QfSource.choices),
        "source": dict(QuotientRecord.Source.choices),
        "provider": dict(QuotientRecord.Provider.choices),
    }


def display_value(key: str, value) -> str:
    """One stored value as an agent reads it: "3,50 €", "Inscription confirmée", "janvier 2026"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return describe(value)
    if isinstance(value, list):
        return ", ".join(display_value(key, item) for item in value) or "—"
    if key in MONEY_FIELDS:
        try:
            return format_money(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    if key == "month" and isinstance(value, str):
        try:
            return date_format(datetime.date.fromisoformat(value), "F Y")
        except ValueError:
            return value
    label = _choice_labels().get(key, {}).get(value)
    if label is not None:
        return str(label)
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


def describe(values) -> str:
    """A before/after dict of the audit as one French line; "—" when empty."""
    if not isinstance(values, dict):
        return display_value("", values)
    shown = [
        f"{FIELD_LABELS[key]} : {display_value(key, value)}"
        for key, value in values.items()
        if key in FIELD_LABELS
    ]
    return " ; ".join(shown) or "—"


def price_state(snapshot: dict) -> str:
    """A tariff snapshot of the price history: "3,50 € — Tranche 2 (Inscription confirmée)"."""
    text = display_value("amount", snapshot.get("amount"))
    if snapshot.get("bracket"):
        text += f" — {snapshot['bracket']}"
    if snapshot.get("status"):
        text += f" ({display_value('status', snapshot['status'])})"
    return text
