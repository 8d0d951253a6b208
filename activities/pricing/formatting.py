"""French formatting of amounts, quotients and rates for explanations."""

from __future__ import annotations

import re
from decimal import Decimal

# French typography: narrow no-break space between thousands, comma before decimals.
THOUSANDS_SEPARATOR = "\u202f"
MINUS = "\u2212"
CENTS = Decimal("0.01")


def format_number(value: Decimal, min_decimals: int = 0) -> str:
    """``Decimal("1234.5")`` → ``"1 234,5"``; keeps the decimals the value carries."""
    if min_decimals and value.as_tuple().exponent > -min_decimals:  # type: ignore[operator]
        value = value.quantize(Decimal(1).scaleb(-min_decimals))
    sign, digits = ("-", -value) if value < 0 else ("", value)
    text = f"{digits:f}"
    whole, _, decimals = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    number = THOUSANDS_SEPARATOR.join(groups)
    if decimals:
        number = f"{number},{decimals}"
    return f"{MINUS}{number}" if sign else number


def format_money(amount: Decimal) -> str:
    """An amount in euros with at least two decimals: ``"3,30 €"``, ``"3,9996 €"``."""
    return f"{format_number(_strip_zeros(amount), min_decimals=2)} €"


def format_qf(qf: Decimal) -> str:
    """A quotient familial as given: ``"850 €"``, ``"622,80 €"``."""
    return f"{format_number(qf)} €"


def format_percent(value: Decimal) -> str:
    """A percentage without useless zeros: ``Decimal("10")`` → ``"10 %"``."""
    return f"{format_number(_strip_zeros(value))} %"


def format_rate(rate: Decimal) -> str:
    """A rate as a percentage: ``Decimal("0.0036")`` → ``"0,36 %"``."""
    return format_percent(rate * 100)


def format_factor(value: Decimal) -> str:
    return format_number(_strip_zeros(value))


def ordinal(rank: int) -> str:
    """French ordinal abbreviation: 1er, 2e, 3e…"""
    return "1er" if rank == 1 else f"{rank}e"


def _strip_zeros(value: Decimal) -> Decimal:
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def describe_bounds(
    low: Decimal | None, low_included: bool, high: Decimal | None, high_included: bool
) -> str:
    """QF bounds in words: ``"de 623 € à 1 000 €"``, ``"plus de 2 000 €"``…"""
    if low is None and high is None:
        return "quel que soit le quotient"
    if high is None:
        return f"{'à partir de' if low_included else 'plus de'} {format_qf(low)}"
    if low is None:
        words = "jusqu'à" if high_included else "moins de"
        return f"{words} {format_qf(high)}"
    if low == high and low_included and high_included:
        return f"exactement {format_qf(low)}"
    start = f"de {format_qf(low)}" if low_included else f"plus de {format_qf(low)}"
    if high_included:
        end = f"à {format_qf(high)}" if low_included else f"jusqu'à {format_qf(high)}"
    else:
        end = (
            f"à moins de {format_qf(high)}"
            if low_included
            else f"et moins de {format_qf(high)}"
        )
    return f"{start} {end}"


def deliberation_label(reference: str) -> str:
    """The council's decision as a sentence names it, the word said once: "2024-057",
    "DCM 2026-031" and "délibération n° 2025" give "Délibération n° …"; a reference
    without a number ("délibération tarifs restauration") gives "Délibération tarifs
    restauration"."""
    rest = _DELIBERATION_PREFIX.sub("", " ".join(reference.split()), count=1)
    if any(char.isdigit() for char in rest):
        return f"Délibération n°\u00a0{rest}"
    return f"Délibération {rest}".strip()


_DELIBERATION_PREFIX = re.compile(
    r"^(délibération|deliberation)?\s*(n°|no\b|n\.)?\s*", re.I
)
