"""Writing a ``Bareme`` back as its ``bareme/1`` JSON document, every field written out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from .model import (
    FORMAT,
    NON_RESIDENT_VALUE_KEYS,
    Bareme,
    Bracket,
    Column,
    Condition,
    EffortRate,
)


def to_document(bareme: Bareme) -> dict:
    """The ``bareme/1`` document of a barème, every field written out."""
    return {
        "format": FORMAT,
        "id": bareme.id,
        "label": bareme.label,
        "unit": bareme.unit,
        "deliberation": {
            "reference": bareme.deliberation.reference,
            "date": _date_or_none(bareme.deliberation.date),
            "url": bareme.deliberation.url,
        },
        "valid_from": bareme.valid_from.isoformat(),
        "valid_until": _date_or_none(bareme.valid_until),
        "qf_rounding": bareme.qf_rounding,
        "model": bareme.model,
        "columns": None
        if bareme.columns is None
        else [_column_document(column) for column in bareme.columns],
        "brackets": None
        if bareme.brackets is None
        else [_bracket_document(bracket) for bracket in bareme.brackets],
        "effort_rate": _effort_rate_document(bareme.effort_rate),
        "no_qf": {"mode": bareme.no_qf.mode}
        if bareme.no_qf.price is None
        else {"mode": bareme.no_qf.mode, "price": str(bareme.no_qf.price)},
        "non_resident": None
        if bareme.non_resident is None
        else {
            "mode": bareme.non_resident.mode,
            NON_RESIDENT_VALUE_KEYS[bareme.non_resident.mode]: str(
                bareme.non_resident.value
            ),
        },
        "siblings": None
        if bareme.siblings is None
        else {
            "reductions": [
                {"from_rank": r.from_rank, "percent": str(r.percent)}
                for r in bareme.siblings.reductions
            ],
            "not_below_floor": bareme.siblings.not_below_floor,
            "applies_to": bareme.siblings.applies_to,
        },
        "rounding": {"step": str(bareme.rounding.step), "mode": bareme.rounding.mode},
    }


def condition_document(condition: Condition) -> dict:
    doc: dict[str, Any] = {}
    if condition.residence is not None:
        doc["residence"] = condition.residence
    if condition.child_rank is not None:
        rank = condition.child_rank
        doc["child_rank"] = {
            key: bound
            for key, bound in (("min", rank.min), ("max", rank.max))
            if bound is not None
        }
    if condition.regime is not None:
        doc["regime"] = list(condition.regime)
    if condition.flags is not None:
        doc["flags"] = list(condition.flags)
    return doc


def _column_document(column: Column) -> dict:
    doc: dict[str, Any] = {"key": column.key, "label": column.label}
    if column.when is not None:
        doc["when"] = condition_document(column.when)
    return doc


def _bracket_document(bracket: Bracket) -> dict:
    doc: dict[str, Any] = {
        "label": bracket.label,
        "min": _decimal_or_none(bracket.min),
        "min_included": bracket.min_included,
        "max": _decimal_or_none(bracket.max),
        "max_included": bracket.max_included,
    }
    if bracket.prices is not None:
        doc["prices"] = {key: str(price) for key, price in bracket.prices.items()}
    else:
        doc["price"] = _decimal_or_none(bracket.price)
    if bracket.when is not None:
        doc["when"] = condition_document(bracket.when)
    return doc


def _effort_rate_document(value: EffortRate | dict[str, EffortRate] | None) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {key: _one_rate_document(rate) for key, rate in value.items()}
    return _one_rate_document(value)


def _one_rate_document(rate: EffortRate) -> dict:
    return {
        "rate": str(rate.rate),
        "floor": _decimal_or_none(rate.floor),
        "ceiling": _decimal_or_none(rate.ceiling),
    }


def _date_or_none(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _decimal_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
