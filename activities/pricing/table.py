"""A barème laid out as a table for parents: caption, headers, rows and rules in French."""

from __future__ import annotations

from dataclasses import dataclass

from .engine import describe_rounding
from .formatting import (
    MINUS,
    describe_bounds,
    format_factor,
    format_money,
    format_percent,
    format_rate,
    ordinal,
)
from .model import Bareme, Bracket, EffortRate, Rounding

NOT_APPLICABLE = "—"


@dataclass(frozen=True)
class TableRow:
    header: str  # the QF range or the special line, a row header (th scope="row")
    cells: tuple[str, ...]
    note: str = ""  # the bracket's published label when it says more than its bounds


@dataclass(frozen=True)
class GridTable:
    title: str
    unit_line: str
    corner: str  # header of the row-header column
    column_headers: tuple[str, ...]
    rows: tuple[TableRow, ...]
    rules: tuple[str, ...]


def grid_table(bareme: Bareme) -> GridTable:
    keys = bareme.column_keys
    column_headers = (
        (f"Tarif par {bareme.unit}",)
        if bareme.columns is None
        else tuple(column.label for column in bareme.columns)
    )
    if bareme.model == "brackets":
        corner = "Quotient familial"
        rows = tuple(
            _bracket_row(bracket, keys)
            for bracket in (
                *bareme.conditional_brackets,
                *bareme.sorted_ordinary_brackets,
            )
        )
    else:
        corner = "Taux d'effort"
        rates = [bareme.rate_for(key) for key in keys]
        rows = (
            TableRow(
                "Taux appliqué au quotient familial",
                tuple(_rate_cell(rate, "rate") for rate in rates),
            ),
            TableRow(
                "Prix plancher", tuple(_rate_cell(rate, "floor") for rate in rates)
            ),
            TableRow(
                "Prix plafond", tuple(_rate_cell(rate, "ceiling") for rate in rates)
            ),
        )
    return GridTable(
        title=bareme.label,
        unit_line=f"tarif par {bareme.unit}",
        corner=corner,
        column_headers=column_headers,
        rows=rows,
        rules=tuple(_rules(bareme)),
    )


def _bracket_row(bracket: Bracket, keys: tuple[str | None, ...]) -> TableRow:
    cells = tuple(
        NOT_APPLICABLE if price is None else format_money(price)
        for price in (bracket.price_for(key) for key in keys)
    )
    bounds = describe_bounds(
        bracket.min, bracket.min_included, bracket.max, bracket.max_included
    )
    if bracket.is_conditional:
        header = bracket.label
        note = "" if bracket.min is None and bracket.max is None else bounds
    else:
        header = bounds[0].upper() + bounds[1:]
        note = bracket.label
    return TableRow(header, cells, note)


def _rate_cell(rate: EffortRate | None, part: str) -> str:
    value = None if rate is None else getattr(rate, part)
    if value is None:
        return NOT_APPLICABLE if rate is None or part == "rate" else "aucun"
    return format_rate(value) if part == "rate" else format_money(value)


def _rules(bareme: Bareme):
    if bareme.qf_rounding == "floor":
        yield "Le quotient familial est tronqué à l'euro (622,80 € compte pour 622 €)."
    elif bareme.qf_rounding == "nearest":
        yield "Le quotient familial est arrondi à l'euro le plus proche."
    if bareme.no_qf.mode == "price":
        yield (
            "Sans quotient familial communiqué : "
            f"{format_money(bareme.no_qf.price)} par {bareme.unit}."
        )
    elif bareme.model == "effort_rate":
        yield "Sans quotient familial communiqué : prix plafond."
    else:
        yield "Sans quotient familial communiqué : tarif le plus élevé de la grille."
    rule = bareme.non_resident
    if rule is not None:
        if rule.mode == "flat":
            what = f"prix forfaitaire de {format_money(rule.value)}"
        elif rule.mode == "multiplier":
            what = f"tarif multiplié par {format_factor(rule.value)}"
        else:
            what = f"tarif majoré de {format_money(rule.value)}"
        yield f"Familles hors commune : {what}."
    siblings = bareme.siblings
    if siblings is not None:
        parts = ", ".join(
            f"{MINUS}{format_percent(reduction.percent)} à partir du "
            f"{ordinal(reduction.from_rank)} enfant"
            for reduction in sorted(siblings.reductions, key=lambda r: r.from_rank)
        )
        limits = []
        if siblings.not_below_floor:
            limits.append("sans descendre sous le prix plancher")
        if siblings.applies_to == "residents":
            limits.append("pour les familles de la commune")
        suffix = f" ({', '.join(limits)})" if limits else ""
        yield f"Réduction fratrie : {parts}{suffix}."
    if bareme.rounding != Rounding():
        yield f"Prix arrondi {describe_rounding(bareme.rounding)}."
    deliberation = bareme.deliberation
    until = (
        f" au {bareme.valid_until:%d/%m/%Y}"
        if bareme.valid_until
        else ", sans date de fin"
    )
    yield (
        f"Tarifs valables du {bareme.valid_from:%d/%m/%Y}{until}, votés par le "
        f"conseil municipal (référence : {deliberation.reference}, du "
        f"{deliberation.date:%d/%m/%Y})."
    )
