"""The rules of a sound barème, checked on a parsed ``Bareme``, in French for agents."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from .document import parse_bareme
from .errors import InvalidBareme, Problem
from .formatting import describe_bounds, format_money, format_qf
from .model import Bareme, Bracket, Condition

ZERO = Decimal(0)


def validate_document(document: Any) -> list[Problem]:
    """Every problem of a ``bareme/1`` document: its shape first, then its rules."""
    try:
        bareme = parse_bareme(document)
    except InvalidBareme as error:
        return error.problems
    return check_bareme(bareme)


def load_bareme(document: Any) -> Bareme:
    """Read and validate a document; raise ``InvalidBareme`` if anything is wrong."""
    bareme = parse_bareme(document)
    problems = check_bareme(bareme)
    if problems:
        raise InvalidBareme(problems)
    return bareme


def check_bareme(bareme: Bareme) -> list[Problem]:
    problems: list[Problem] = _check_deliberation(bareme)
    if bareme.valid_until is not None and bareme.valid_until < bareme.valid_from:
        problems.append(
            Problem(
                "dates",
                "valid_until",
                f"la fin de validité ({bareme.valid_until:%d/%m/%Y}) précède le début "
                f"({bareme.valid_from:%d/%m/%Y}).",
            )
        )
    _check_columns(bareme, problems)
    if bareme.model == "brackets":
        _check_brackets(bareme, problems)
    else:
        _check_effort_rates(bareme, problems)
    _check_modifiers(bareme, problems)
    return problems


def _check_deliberation(bareme: Bareme) -> list[Problem]:
    """A tariff without its legal basis cannot be applied."""
    deliberation = bareme.deliberation
    reference = deliberation.reference.strip()
    if not reference and deliberation.date is None and deliberation.url is None:
        return [
            Problem(
                "missing_deliberation",
                "deliberation",
                "la délibération (référence et date) est obligatoire : un tarif sans "
                "base légale ne peut pas être appliqué.",
            )
        ]
    problems = []
    if not reference:
        problems.append(
            Problem(
                "missing_deliberation",
                "deliberation.reference",
                "la référence de la délibération est obligatoire : un tarif sans base "
                "légale ne peut pas être appliqué.",
            )
        )
    if deliberation.date is None:
        problems.append(
            Problem(
                "missing_deliberation",
                "deliberation.date",
                "la date de la délibération est obligatoire.",
            )
        )
    return problems


def _negative(value: Decimal | None, path: str, what: str) -> list[Problem]:
    if value is not None and value < 0:
        return [Problem("negative_price", path, f"{what} est négatif ({value}).")]
    return []


def _check_condition(condition: Condition | None, path: str, problems: list) -> None:
    rank = condition.child_rank if condition else None
    if rank and rank.min is not None and rank.max is not None and rank.min > rank.max:
        problems.append(
            Problem(
                "bounds",
                f"{path}.child_rank",
                f"le rang minimal ({rank.min}) dépasse le rang maximal ({rank.max}).",
            )
        )


def _check_columns(bareme: Bareme, problems: list[Problem]) -> None:
    seen: set[str] = set()
    catch_all = None
    for index, column in enumerate(bareme.columns or ()):
        path = f"columns[{index}]"
        if column.key in seen:
            problems.append(
                Problem(
                    "duplicate_key",
                    f"{path}.key",
                    f"la clé de colonne « {column.key} » est déjà utilisée.",
                )
            )
        seen.add(column.key)
        _check_condition(column.when, f"{path}.when", problems)
        if catch_all is not None:
            problems.append(
                Problem(
                    "unreachable_column",
                    path,
                    f"la colonne « {column.label} » ne sera jamais choisie : la colonne "
                    f"« {catch_all} », placée avant elle, convient à toutes les "
                    "situations.",
                )
            )
        elif column.when is None:
            catch_all = column.label


def _check_brackets(bareme: Bareme, problems: list[Problem]) -> None:
    column_keys = bareme.column_keys
    ordinary = []
    for index, bracket in enumerate(bareme.brackets or ()):
        path = f"brackets[{index}]"
        name = f"la tranche « {bracket.label} »"
        _check_condition(bracket.when, f"{path}.when", problems)
        if (
            bracket.min is not None
            and bracket.max is not None
            and (
                bracket.min > bracket.max
                or (
                    bracket.min == bracket.max
                    and not (bracket.min_included and bracket.max_included)
                )
            )
        ):
            problems.append(
                Problem(
                    "bounds",
                    f"{path}.max",
                    f"{name} a une borne maximale ({format_qf(bracket.max)}) qui ne "
                    f"dépasse pas sa borne minimale ({format_qf(bracket.min)}).",
                )
            )
        elif not bracket.is_conditional:
            ordinary.append((index, bracket))
        for key in column_keys:
            price = bracket.price_for(key)
            price_path = f"{path}.price" if key is None else f"{path}.prices.{key}"
            problems.extend(_negative(price, price_path, f"le prix de {name}"))
        missing = [key for key in column_keys if bracket.price_for(key) is None]
        if bracket.is_conditional and len(missing) < len(column_keys):
            continue  # A special line may leave some columns to the ordinary grid.
        for key in missing:
            where = "" if key is None else f" pour la colonne « {key} »"
            problems.append(
                Problem(
                    "missing_price",
                    f"{path}.price" if key is None else f"{path}.prices.{key}",
                    f"{name} n'a pas de prix{where}.",
                )
            )
    if not any(not bracket.is_conditional for bracket in bareme.brackets or ()):
        problems.append(
            Problem(
                "no_bracket",
                "brackets",
                "la grille n'a aucune tranche ordinaire (sans condition) : les familles "
                "sans situation particulière ne peuvent pas être tarifées.",
            )
        )
        return
    _check_coverage(ordinary, bareme.qf_rounding != "none", problems)


def _real_span(bracket: Bracket) -> tuple | None:
    """The part of the non-negative reals a bracket covers, or None if it is empty."""
    if bracket.max is not None and (
        bracket.max < 0 or (bracket.max == 0 and not bracket.max_included)
    ):
        return None
    if bracket.min is None or bracket.min < 0:
        return ZERO, True, bracket.max, bracket.max_included
    return bracket.min, bracket.min_included, bracket.max, bracket.max_included


def _whole_span(bracket: Bracket) -> tuple | None:
    """The whole numbers a bracket covers, as a half-open span ``[low, high)``."""
    low = 0
    if bracket.min is not None:
        low = max(
            0,
            math.ceil(bracket.min)
            if bracket.min_included
            else math.floor(bracket.min) + 1,
        )
    if bracket.max is None:
        return Decimal(low), True, None, False
    high = (
        math.floor(bracket.max) + 1 if bracket.max_included else math.ceil(bracket.max)
    )
    return None if high <= low else (Decimal(low), True, Decimal(high), False)


def _check_coverage(
    ordinary: list[tuple[int, Bracket]], whole: bool, problems: list[Problem]
) -> None:
    """Overlaps and gaps of the ordinary brackets over the QF domain.

    The domain is the non-negative reals, or the whole numbers when the QF is rounded to
    the euro first (then ``0–622`` and ``623–…`` leave no gap).
    """

    def describe(low, low_included, high, high_included) -> str:
        if whole:  # Spans of whole numbers are half-open: name the last one covered.
            high = None if high is None else high - 1
            return describe_bounds(low, True, high, True)
        return describe_bounds(low, low_included, high, high_included)

    spans = []
    for index, bracket in ordinary:
        span = _whole_span(bracket) if whole else _real_span(bracket)
        if span is None:
            reason = (
                "le quotient est arrondi à l'euro avant la recherche de la tranche"
                if whole
                else "un quotient familial n'est jamais négatif"
            )
            problems.append(
                Problem(
                    "bounds",
                    f"brackets[{index}]",
                    f"la tranche « {bracket.label} » ne contient aucun quotient "
                    f"possible : {reason}.",
                )
            )
        else:
            spans.append((index, bracket, *span))
    spans.sort(key=lambda span: (span[2], not span[3]))

    # The next QF to cover (None once a bracket reaches infinity), whether that value
    # itself still needs covering, and the bracket reaching furthest so far.
    cursor, cursor_included, previous = ZERO, True, None
    for index, bracket, low, low_included, high, high_included in spans:
        if cursor is not None and (
            low > cursor or (low == cursor and cursor_included and not low_included)
        ):
            problems.append(
                Problem(
                    "gap",
                    f"brackets[{index}]",
                    "trou dans la grille : aucune tranche ne couvre les quotients "
                    f"{describe(cursor, cursor_included, low, not low_included)}.",
                )
            )
        elif previous is not None and (
            cursor is None
            or low < cursor
            or (low == cursor and low_included and not cursor_included)
        ):
            _, previous_high, previous_included = previous
            end, end_included = high, high_included
            if previous_high is not None and (end is None or previous_high < end):
                end, end_included = previous_high, previous_included
            problems.append(
                Problem(
                    "overlap",
                    f"brackets[{index}]",
                    f"les tranches « {previous[0].label} » et « {bracket.label} » se "
                    "chevauchent pour les quotients "
                    f"{describe(low, low_included, end, end_included)}.",
                )
            )
        if cursor is None:
            continue
        if high is None:
            cursor, previous = None, (bracket, None, False)
        elif high > cursor or (high == cursor and high_included and cursor_included):
            cursor, cursor_included = high, not high_included
            previous = (bracket, high, high_included)
    if cursor is not None:
        problems.append(
            Problem(
                "gap",
                "brackets",
                "trou dans la grille : aucune tranche ne couvre les quotients "
                f"{describe(cursor, cursor_included, None, False)}.",
            )
        )


def _check_effort_rates(bareme: Bareme, problems: list[Problem]) -> None:
    for key in bareme.column_keys:
        path = "effort_rate" if key is None else f"effort_rate.{key}"
        rate = bareme.rate_for(key)
        if rate is None:
            problems.append(
                Problem(
                    "missing_price",
                    path,
                    f"aucun taux d'effort pour la colonne « {key} ».",
                )
            )
            continue
        if rate.rate < 0:
            problems.append(
                Problem(
                    "negative_price", f"{path}.rate", "le taux d'effort est négatif."
                )
            )
        problems.extend(_negative(rate.floor, f"{path}.floor", "le prix plancher"))
        problems.extend(_negative(rate.ceiling, f"{path}.ceiling", "le prix plafond"))
        if (
            rate.floor is not None
            and rate.ceiling is not None
            and rate.floor > rate.ceiling
        ):
            problems.append(
                Problem(
                    "floor_above_ceiling",
                    f"{path}.floor",
                    f"le prix plancher ({format_money(rate.floor)}) dépasse le prix "
                    f"plafond ({format_money(rate.ceiling)}).",
                )
            )
        if bareme.no_qf.mode == "highest" and rate.ceiling is None:
            problems.append(
                Problem(
                    "no_ceiling",
                    f"{path}.ceiling",
                    "sans prix plafond, le tarif des familles qui ne donnent pas leur "
                    "quotient (mode « highest ») ne peut pas être calculé : donnez un "
                    "plafond ou un prix « no_qf ».",
                )
            )


def _check_modifiers(bareme: Bareme, problems: list[Problem]) -> None:
    problems.extend(
        _negative(bareme.no_qf.price, "no_qf.price", "le prix sans quotient familial")
    )
    non_resident = bareme.non_resident
    if non_resident is not None:
        if non_resident.mode == "flat":
            problems.extend(
                _negative(
                    non_resident.value, "non_resident.price", "le prix non-résident"
                )
            )
        elif non_resident.mode == "surcharge":
            problems.extend(
                _negative(non_resident.value, "non_resident.amount", "la majoration")
            )
        elif non_resident.value <= 0:
            problems.append(
                Problem(
                    "negative_price",
                    "non_resident.factor",
                    "le coefficient non-résident doit être strictement positif.",
                )
            )
    if bareme.siblings is not None:
        ranks: set[int] = set()
        for index, reduction in enumerate(bareme.siblings.reductions):
            path = f"siblings.reductions[{index}]"
            if reduction.from_rank in ranks:
                problems.append(
                    Problem(
                        "duplicate_key",
                        f"{path}.from_rank",
                        f"deux réductions commencent au rang {reduction.from_rank}.",
                    )
                )
            ranks.add(reduction.from_rank)
            if not ZERO <= reduction.percent <= 100:
                problems.append(
                    Problem(
                        "bad_percent",
                        f"{path}.percent",
                        f"le pourcentage de réduction doit être entre 0 et 100 "
                        f"({reduction.percent}).",
                    )
                )
    if bareme.rounding.step <= 0:
        problems.append(
            Problem(
                "bad_step",
                "rounding.step",
                "le pas d'arrondi doit être strictement positif.",
            )
        )
