"""Pricing a situation with a barème, and saying why, step by step, in French."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from .errors import PricingError
from .formatting import (
    MINUS,
    describe_bounds,
    format_factor,
    format_money,
    format_number,
    format_percent,
    format_qf,
    format_rate,
    ordinal,
)
from .model import (
    REGIMES,
    RESIDENCES,
    Bareme,
    Bracket,
    Column,
    Quote,
    Rounding,
    Situation,
)
from .reader import DECIMAL_RE

DECIMAL_ROUNDING = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "up": ROUND_CEILING,
    "down": ROUND_FLOOR,
}
ROUNDING_WORDS = {
    "half_up": "le plus proche",
    "half_even": "le plus proche (au pair en cas d'égalité)",
    "up": "supérieur",
    "down": "inférieur",
}
QF_ROUNDING_WORDS = {
    "floor": "tronqué à l'euro",
    "nearest": "arrondi à l'euro le plus proche",
}
CENT = Decimal("0.01")
EURO = Decimal(1)
HUNDRED = Decimal(100)
RESIDENCE_WORDS = {"resident": "résident", "non_resident": "non-résident"}
REGIME_WORDS = {
    "CNAF": "allocataire CAF",
    "MSA": "allocataire MSA",
    "none": "non allocataire",
}


def quote(bareme: Bareme, situation: Situation) -> Quote:
    """The price of ``situation`` under ``bareme``; ``PricingError`` if it has none."""
    _check_situation(situation)
    steps: list[str] = []
    column = _select_column(bareme, situation)
    column_key = None if column is None else column.key
    if column is not None:
        steps.append(f"Colonne : {column.label}")

    qf = situation.qf
    bracket: Bracket | None = None
    if qf is None:
        steps.append("Quotient familial non communiqué")
        bracket = _conditional_bracket(bareme, situation, column_key, None)
        if bracket is not None:
            price = bracket.price_for(column_key)
            steps.append(_bracket_step(bracket, price))
        else:
            price = _no_qf_price(bareme, column_key, steps)
    else:
        qf = _round_qf(bareme, qf, steps)
        if bareme.model == "brackets":
            bracket = _conditional_bracket(bareme, situation, column_key, qf)
            if bracket is None:
                bracket = bareme.find_bracket(qf)
            if bracket is None:
                raise PricingError(
                    "Aucune tranche du barème ne couvre un quotient familial de "
                    f"{format_qf(qf)}."
                )
            price = bracket.price_for(column_key)
            steps.append(_bracket_step(bracket, price))
        else:
            price = _effort_rate_price(bareme, column_key, qf, steps)

    price = _apply_non_resident(bareme, situation, column, price, steps)
    price = _apply_siblings(bareme, situation, column, price, steps)
    amount = _round_amount(bareme, price, steps)
    steps.append(f"Tarif appliqué : {format_money(amount)} par {bareme.unit}")
    return Quote(
        amount=amount,
        unit=bareme.unit,
        bareme_id=bareme.id,
        deliberation=bareme.deliberation.reference,
        column=column_key,
        column_label=None if column is None else column.label,
        bracket=None if bracket is None else bracket.label,
        qf_used=qf,
        explanation=tuple(steps),
    )


def situation_from_dict(document: dict[str, Any]) -> Situation:
    """A situation from its JSON form (FORMAT.md); ``PricingError`` if malformed."""
    unknown = set(document) - {"qf", "residence", "child_rank", "regime", "flags"}
    if unknown:
        raise PricingError(f"Situation : clé inconnue « {sorted(unknown)[0]} ».")
    qf = document.get("qf")
    if qf is not None and not (isinstance(qf, str) and DECIMAL_RE.fullmatch(qf)):
        raise PricingError(
            "Le quotient familial doit être un nombre décimal écrit comme un texte "
            "(par exemple « 712.50 »)."
        )
    flags = document.get("flags") or []
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        raise PricingError(
            "Les indicateurs de la situation doivent être une liste de mots."
        )
    situation = Situation(
        qf=None if qf is None else Decimal(qf),
        residence=document.get("residence", "resident"),
        child_rank=document.get("child_rank", 1),
        regime=document.get("regime", "none"),
        flags=frozenset(flags),
    )
    _check_situation(situation)
    return situation


def describe_situation(situation: Situation) -> str:
    """The situation in words, for error messages."""
    parts = [
        "sans quotient familial"
        if situation.qf is None
        else f"quotient familial de {format_qf(situation.qf)}",
        RESIDENCE_WORDS.get(situation.residence, situation.residence),
        f"{ordinal(situation.child_rank)} enfant",
        REGIME_WORDS.get(situation.regime, situation.regime),
    ]
    if situation.flags:
        parts.append("indicateurs : " + ", ".join(sorted(situation.flags)))
    return ", ".join(parts)


def _check_situation(situation: Situation) -> None:
    if situation.qf is not None and situation.qf < 0:
        raise PricingError(
            f"Le quotient familial ne peut pas être négatif ({format_qf(situation.qf)})."
        )
    if situation.residence not in RESIDENCES:
        raise PricingError(
            f"Résidence inconnue « {situation.residence} » : « resident » ou "
            "« non_resident »."
        )
    rank = situation.child_rank
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise PricingError(
            f"Le rang de l'enfant doit être un nombre entier à partir de 1 ({rank})."
        )
    if situation.regime not in REGIMES:
        raise PricingError(
            f"Régime inconnu « {situation.regime} » : « CNAF », « MSA » ou « none »."
        )


def _select_column(bareme: Bareme, situation: Situation) -> Column | None:
    if bareme.columns is None:
        return None
    for column in bareme.columns:
        if column.matches(situation):
            return column
    raise PricingError(
        "Aucune colonne du barème ne correspond à cette situation ("
        f"{describe_situation(situation)})."
    )


def _round_qf(bareme: Bareme, qf: Decimal, steps: list[str]) -> Decimal:
    if bareme.qf_rounding == "none":
        steps.append(f"Quotient familial retenu : {format_qf(qf)}")
        return qf
    rounded = qf.to_integral_value(
        rounding=ROUND_FLOOR if bareme.qf_rounding == "floor" else ROUND_HALF_UP
    )
    if rounded == qf:
        steps.append(f"Quotient familial retenu : {format_qf(rounded)}")
    else:
        steps.append(f"Quotient familial déclaré : {format_qf(qf)}")
        steps.append(
            f"Quotient familial retenu ({QF_ROUNDING_WORDS[bareme.qf_rounding]}) : "
            f"{format_qf(rounded)}"
        )
    return rounded


def _conditional_bracket(
    bareme: Bareme, situation: Situation, column_key: str | None, qf: Decimal | None
) -> Bracket | None:
    """The first special line for this situation; without a QF, only lines ignoring it."""
    for bracket in bareme.conditional_brackets:
        if not bracket.when.matches(situation) or bracket.price_for(column_key) is None:
            continue
        if qf is None:
            if bracket.min is None and bracket.max is None:
                return bracket
        elif bracket.contains(qf):
            return bracket
    return None


def _bracket_step(bracket: Bracket, price: Decimal) -> str:
    if bracket.is_conditional:
        return f"Ligne particulière « {bracket.label} » : {format_money(price)}"
    bounds = describe_bounds(
        bracket.min, bracket.min_included, bracket.max, bracket.max_included
    )
    return f"{bracket.label} ({bounds}) : {format_money(price)}"


def _no_qf_price(bareme: Bareme, column_key: str | None, steps: list[str]) -> Decimal:
    if bareme.no_qf.mode == "price":
        steps.append(
            f"Tarif sans quotient familial : {format_money(bareme.no_qf.price)}"
        )
        return bareme.no_qf.price
    if bareme.model == "effort_rate":
        ceiling = bareme.rate_for(column_key).ceiling
        if ceiling is None:
            raise PricingError(
                "Ce barème n'a pas de prix plafond : le tarif sans quotient familial "
                "ne peut pas être calculé."
            )
        steps.append(f"Prix plafond appliqué : {format_money(ceiling)}")
        return ceiling
    prices = bareme.ordinary_prices(column_key)
    if not prices:
        raise PricingError("Ce barème n'a aucun prix pour cette situation.")
    highest = max(prices)
    steps.append(f"Tarif le plus élevé de la grille : {format_money(highest)}")
    return highest


def _effort_rate_price(
    bareme: Bareme, column_key: str | None, qf: Decimal, steps: list[str]
) -> Decimal:
    rate = bareme.rate_for(column_key)
    if rate is None:
        raise PricingError("Ce barème n'a pas de taux d'effort pour cette situation.")
    price = qf * rate.rate
    steps.append(
        f"{format_number(qf)} × {format_rate(rate.rate)} = {format_money(price)}"
    )
    if rate.floor is not None and price < rate.floor:
        steps.append(f"Prix plancher appliqué : {format_money(rate.floor)}")
        return rate.floor
    if rate.ceiling is not None and price > rate.ceiling:
        steps.append(f"Prix plafond appliqué : {format_money(rate.ceiling)}")
        return rate.ceiling
    return price


def _apply_non_resident(
    bareme: Bareme,
    situation: Situation,
    column: Column | None,
    price: Decimal,
    steps: list[str],
) -> Decimal:
    rule = bareme.non_resident
    if (
        rule is None
        or situation.residence != "non_resident"
        or (column is not None and column.selects_on_residence)
    ):
        return price
    if rule.mode == "flat":
        steps.append(f"Tarif non-résident (forfait) : {format_money(rule.value)}")
        return rule.value
    if rule.mode == "multiplier":
        result = price * rule.value
        steps.append(
            f"Tarif non-résident : {format_money(price)} × {format_factor(rule.value)}"
            f" = {format_money(result)}"
        )
        return result
    result = price + rule.value
    steps.append(
        f"Majoration non-résident : {format_money(price)} + {format_money(rule.value)}"
        f" = {format_money(result)}"
    )
    return result


def _apply_siblings(
    bareme: Bareme,
    situation: Situation,
    column: Column | None,
    price: Decimal,
    steps: list[str],
) -> Decimal:
    rule = bareme.siblings
    if (
        rule is None
        or (column is not None and column.selects_on_child_rank)
        or (rule.applies_to == "residents" and situation.residence != "resident")
    ):
        return price
    reduction = rule.reduction_for(situation.child_rank)
    if reduction is None or not reduction.percent:
        return price
    reduced = price * (HUNDRED - reduction.percent) / HUNDRED
    steps.append(
        f"Réduction fratrie {ordinal(situation.child_rank)} enfant : "
        f"{MINUS}{format_percent(reduction.percent)} = {format_money(reduced)}"
    )
    if rule.not_below_floor:
        floor = _floor(bareme, column)
        if floor is not None and reduced < floor:
            # A price already under the floor (a special line) is kept, not raised.
            limited = min(price, floor)
            steps.append(
                f"Réduction limitée au prix plancher : {format_money(limited)}"
            )
            return limited
    return reduced


def _floor(bareme: Bareme, column: Column | None) -> Decimal | None:
    column_key = None if column is None else column.key
    if bareme.model == "effort_rate":
        rate = bareme.rate_for(column_key)
        return None if rate is None else rate.floor
    prices = bareme.ordinary_prices(column_key)
    return min(prices) if prices else None


def describe_rounding(rounding: Rounding) -> str:
    """``"au centime le plus proche"``, ``"au multiple de 0,05 € supérieur"``…"""
    if rounding.step == CENT:
        unit = "au centime"
    elif rounding.step == EURO:
        unit = "à l'euro"
    else:
        unit = f"au multiple de {format_money(rounding.step)}"
    return f"{unit} {ROUNDING_WORDS[rounding.mode]}"


def _round_amount(bareme: Bareme, price: Decimal, steps: list[str]) -> Decimal:
    step, mode = bareme.rounding.step, bareme.rounding.mode
    amount = ((price / step).to_integral_value(DECIMAL_ROUNDING[mode]) * step).quantize(
        step
    )
    if amount != price:
        steps.append(
            f"Arrondi {describe_rounding(bareme.rounding)} : {format_money(amount)}"
        )
    return amount
