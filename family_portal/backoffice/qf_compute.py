"""A quotient familial from an avis d'imposition, by either rule a commune may vote
(DOMAIN.md): fiscal parts, or per person. Plain Python: decimals in, the value and its
formula in French out, rounded once to the cent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from activities.pricing.formatting import format_money, format_number

CENTS = Decimal("0.01")
QUARTER = Decimal("0.25")
MONTHS = 12


class QfComputationError(ValueError):
    """An input the rule cannot use; the message is French, for the agent."""


@dataclass(frozen=True)
class ComputedQf:
    value: Decimal
    formula: str


def _euros(amount: Decimal) -> str:
    return f"{format_number(amount)} €"


def _sum_text(amounts: Sequence[Decimal]) -> str:
    if len(amounts) == 1:
        return _euros(amounts[0])
    return "(" + " + ".join(_euros(amount) for amount in amounts) + ")"


def _incomes(amounts: Sequence[Decimal | None]) -> list[Decimal]:
    incomes = [Decimal(amount) for amount in amounts if amount is not None]
    if not incomes:
        raise QfComputationError("Indiquez au moins un revenu.")
    if any(amount < 0 for amount in incomes):
        raise QfComputationError("Un revenu ne peut pas être négatif.")
    return incomes


def fiscal_parts_qf(
    reference_incomes: Sequence[Decimal | None], parts: Decimal
) -> ComputedQf:
    """Revenu fiscal de référence / 12 / parts fiscales.

    Unmarried couples file two notices: their two RFRs are added. Parts come in quarters
    (a child in shared residence counts half of its half part).
    """
    incomes = _incomes(reference_incomes)
    parts = Decimal(parts)
    if parts < 1 or parts % QUARTER:
        raise QfComputationError(
            "Le nombre de parts fiscales est au moins 1, par quarts de part (2,5 ; 3,25…)."
        )
    total = sum(incomes, Decimal(0))
    value = (total / MONTHS / parts).quantize(CENTS, rounding=ROUND_HALF_UP)
    formula = (
        f"{_sum_text(incomes)} / 12 / {format_number(parts.normalize())} parts "
        f"fiscales = {format_money(value)}"
    )
    return ComputedQf(value, formula)


def per_person_qf(
    incomes: Sequence[Decimal | None], maintenance_paid: Decimal | None, persons: int
) -> ComputedQf:
    """(Incomes before the 10 % deduction − maintenance paid) / 12 / persons."""
    amounts = _incomes(incomes)
    maintenance = Decimal(maintenance_paid or 0)
    if maintenance < 0:
        raise QfComputationError("Les pensions versées ne peuvent pas être négatives.")
    if persons < 1:
        raise QfComputationError("Le foyer compte au moins une personne.")
    total = sum(amounts, Decimal(0))
    if maintenance > total:
        raise QfComputationError(
            "Les pensions versées dépassent les revenus : vérifiez l'avis."
        )
    value = ((total - maintenance) / MONTHS / persons).quantize(
        CENTS, rounding=ROUND_HALF_UP
    )
    base = _sum_text(amounts)
    if maintenance:
        base = f"({base} − {_euros(maintenance)} de pensions versées)"
    word = "personne" if persons == 1 else "personnes"
    formula = f"{base} / 12 / {persons} {word} = {format_money(value)}"
    return ComputedQf(value, formula)
