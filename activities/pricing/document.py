"""Reading a ``bareme/1`` JSON document into a ``Bareme`` and writing it back.

Reading checks the shape of the document (keys, types, allowed values) and reports every
problem at once; the rules of a sound grid (no overlap, no gap…) live in ``validation``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import InvalidBareme, Problem
from .model import (
    FORMAT,
    MODELS,
    NO_QF_MODES,
    NON_RESIDENT_MODES,
    NON_RESIDENT_VALUE_KEYS,
    QF_ROUNDINGS,
    REGIMES,
    RESIDENCES,
    ROUNDING_MODES,
    SIBLINGS_APPLIES_TO,
    Bareme,
    Bracket,
    Column,
    Condition,
    Deliberation,
    EffortRate,
    NonResident,
    NoQf,
    RankRange,
    Rounding,
    SiblingReduction,
    Siblings,
)

DECIMAL_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")
ID_RE = re.compile(r"[A-Za-z0-9_-]+")
TOP_LEVEL_KEYS = (
    "format",
    "id",
    "label",
    "unit",
    "deliberation",
    "valid_from",
    "valid_until",
    "qf_rounding",
    "model",
    "columns",
    "brackets",
    "effort_rate",
    "no_qf",
    "non_resident",
    "siblings",
    "rounding",
)
EFFORT_RATE_KEYS = ("rate", "floor", "ceiling")
MISSING = object()


class _Reader:
    """Collects the problems met while reading, each with its path in the document."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, code: str, path: str, message: str) -> None:
        self.problems.append(Problem(code, path, message))

    def mapping(
        self,
        value: Any,
        path: str,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
    ) -> dict | None:
        if not isinstance(value, dict):
            self.problem("type", path, "doit être un objet JSON ({…}).")
            return None
        for key in required:
            if key not in value:
                self.problem(
                    "missing_key", _join(path, key), "champ obligatoire manquant."
                )
        allowed = set(required) | set(optional)
        for key in value:
            if key not in allowed:
                self.problem(
                    "unknown_key",
                    _join(path, str(key)),
                    f"clé inconnue « {key} » (clés permises : {', '.join(sorted(allowed))}).",
                )
        return value

    def text(self, value: Any, path: str, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem("type", path, "doit être un texte non vide.")
            return None
        return value

    def choice(self, value: Any, path: str, choices: tuple[str, ...]) -> str | None:
        if value not in choices:
            self.problem(
                "unknown_value",
                path,
                f"valeur inconnue {_show(value)} (valeurs permises : "
                f"{', '.join(choices)}).",
            )
            return None
        return value

    def decimal(self, value: Any, path: str, nullable: bool = False) -> Decimal | None:
        if value is None and nullable:
            return None
        if isinstance(value, str) and DECIMAL_RE.fullmatch(value):
            return Decimal(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            hint = "un nombre JSON n'est pas permis, écrivez-le entre guillemets"
        elif isinstance(value, str) and "," in value:
            hint = "le séparateur décimal est le point"
        else:
            hint = "valeur invalide"
        self.problem(
            "type",
            path,
            f"doit être un nombre décimal écrit comme un texte, par exemple « 3.05 » "
            f"({hint} : {_show(value)}).",
        )
        return None

    def integer(self, value: Any, path: str, minimum: int = 1) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(
                "type", path, f"doit être un nombre entier au moins égal à {minimum}."
            )
            return None
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.problem("type", path, "doit valoir true ou false.")
            return None
        return value

    def iso_date(self, value: Any, path: str, nullable: bool = False) -> date | None:
        if value is None and nullable:
            return None
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(
            "type", path, f"doit être une date AAAA-MM-JJ valide ({_show(value)})."
        )
        return None

    def word_list(
        self, value: Any, path: str, choices: tuple[str, ...] | None = None
    ) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not value:
            self.problem("type", path, "doit être une liste non vide.")
            return None
        words = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            word = (
                self.choice(item, item_path, choices)
                if choices
                else self.text(item, item_path)
            )
            if word is not None:
                words.append(word)
        return tuple(words) if len(words) == len(value) else None


def parse_bareme(document: Any) -> Bareme:
    """Read a ``bareme/1`` document; raise ``InvalidBareme`` listing every shape problem.

    The result may still break the rules of a sound grid: use ``load_bareme`` to read and
    validate at once, or ``check_bareme`` on the result.
    """
    reader = _Reader()
    bareme = _read_bareme(reader, document)
    if reader.problems:
        raise InvalidBareme(reader.problems)
    assert bareme is not None  # noqa: S101 - no problem means every part was read
    return bareme


def _read_bareme(reader: _Reader, document: Any) -> Bareme | None:
    doc = reader.mapping(
        document,
        "",
        required=("format", "id", "label", "unit", "valid_from", "model"),
        optional=TOP_LEVEL_KEYS,
    )
    if doc is None:
        return None
    if "format" in doc and doc["format"] != FORMAT:
        reader.problem(
            "unknown_value",
            "format",
            f"format inconnu {_show(doc['format'])} : seul « {FORMAT} » est reconnu.",
        )
    identifier = doc.get("id")
    if "id" in doc and not (
        isinstance(identifier, str) and ID_RE.fullmatch(identifier)
    ):
        reader.problem(
            "type",
            "id",
            "doit être un identifiant fait de lettres sans accents, chiffres, « - » "
            f"et « _ » ({_show(identifier)}).",
        )
    label = reader.text(doc.get("label"), "label") if "label" in doc else None
    unit = reader.text(doc.get("unit"), "unit") if "unit" in doc else None
    deliberation = _read_deliberation(reader, doc.get("deliberation", MISSING))
    valid_from = (
        reader.iso_date(doc["valid_from"], "valid_from")
        if "valid_from" in doc
        else None
    )
    valid_until = reader.iso_date(doc.get("valid_until"), "valid_until", nullable=True)
    qf_rounding = reader.choice(
        doc.get("qf_rounding", "none"), "qf_rounding", QF_ROUNDINGS
    )
    model = reader.choice(doc["model"], "model", MODELS) if "model" in doc else None

    columns = _read_columns(reader, doc.get("columns"))
    column_keys = (
        None if columns is None else {column.key for column in columns if column.key}
    )
    brackets = effort_rate = None
    if model == "brackets":
        if doc.get("effort_rate") is not None:
            reader.problem(
                "model",
                "effort_rate",
                "doit valoir null avec le modèle « brackets » (grille par tranches).",
            )
        brackets = _read_brackets(reader, doc.get("brackets"), column_keys)
    elif model == "effort_rate":
        if doc.get("brackets") is not None:
            reader.problem(
                "model",
                "brackets",
                "doit valoir null avec le modèle « effort_rate » (taux d'effort).",
            )
        effort_rate = _read_effort_rate(reader, doc.get("effort_rate"), column_keys)

    no_qf = _read_no_qf(reader, doc.get("no_qf", {"mode": "highest"}))
    non_resident = _read_non_resident(reader, doc.get("non_resident"))
    siblings = _read_siblings(reader, doc.get("siblings"))
    rounding = _read_rounding(reader, doc.get("rounding", {}))
    if reader.problems:
        return None
    return Bareme(
        id=identifier,
        label=label,
        unit=unit,
        deliberation=deliberation,
        valid_from=valid_from,
        valid_until=valid_until,
        qf_rounding=qf_rounding,
        model=model,
        columns=columns,
        brackets=brackets,
        effort_rate=effort_rate,
        no_qf=no_qf,
        non_resident=non_resident,
        siblings=siblings,
        rounding=rounding,
    )


def _read_deliberation(reader: _Reader, value: Any) -> Deliberation | None:
    """The délibération as given; a missing reference or date is left to validation,
    so that an agent sees it together with the grid's other problems."""
    if value is MISSING or value is None:
        return Deliberation(reference="", date=None)
    doc = reader.mapping(value, "deliberation", optional=("reference", "date", "url"))
    if doc is None:
        return None
    reference = doc.get("reference")
    if reference is None:
        reference = ""
    elif not isinstance(reference, str):
        reader.problem("type", "deliberation.reference", "doit être un texte.")
    decided_on = reader.iso_date(doc.get("date"), "deliberation.date", nullable=True)
    url = reader.text(doc.get("url"), "deliberation.url", nullable=True)
    return Deliberation(reference=reference, date=decided_on, url=url)


def _read_condition(reader: _Reader, value: Any, path: str) -> Condition | None:
    """A ``when``; missing, null and ``{}`` all mean "any situation" (None)."""
    if value is None:
        return None
    doc = reader.mapping(
        value, path, optional=("residence", "child_rank", "regime", "flags")
    )
    if not doc:
        return None
    residence = child_rank = regime = flags = None
    if "residence" in doc:
        residence = reader.choice(doc["residence"], f"{path}.residence", RESIDENCES)
    if "child_rank" in doc:
        rank_path = f"{path}.child_rank"
        rank_doc = reader.mapping(doc["child_rank"], rank_path, optional=("min", "max"))
        if rank_doc == {}:
            reader.problem(
                "type", rank_path, "donnez au moins un rang minimal ou maximal."
            )
        elif rank_doc is not None:
            bounds = {
                key: reader.integer(rank_doc[key], f"{rank_path}.{key}")
                for key in ("min", "max")
                if key in rank_doc
            }
            child_rank = RankRange(**bounds)
    if "regime" in doc:
        regime = reader.word_list(doc["regime"], f"{path}.regime", REGIMES)
    if "flags" in doc:
        flags = reader.word_list(doc["flags"], f"{path}.flags")
    return Condition(
        residence=residence, child_rank=child_rank, regime=regime, flags=flags
    )


def _read_columns(reader: _Reader, value: Any) -> tuple[Column, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        reader.problem(
            "type", "columns", "doit être null ou une liste non vide de colonnes."
        )
        return None
    columns = []
    for index, item in enumerate(value):
        path = f"columns[{index}]"
        doc = reader.mapping(item, path, required=("key", "label"), optional=("when",))
        if doc is None:
            continue
        key = doc.get("key")
        if "key" in doc and not (isinstance(key, str) and ID_RE.fullmatch(key)):
            reader.problem(
                "type",
                f"{path}.key",
                "doit être une clé faite de lettres sans accents, chiffres, « - » et "
                f"« _ » ({_show(key)}).",
            )
            key = None
        label = (
            reader.text(doc.get("label"), f"{path}.label") if "label" in doc else None
        )
        when = _read_condition(reader, doc.get("when"), f"{path}.when")
        columns.append(Column(key=key, label=label, when=when))
    return tuple(columns)


def _read_brackets(
    reader: _Reader, value: Any, column_keys: set[str] | None
) -> tuple[Bracket, ...] | None:
    if not isinstance(value, list) or not value:
        reader.problem(
            "type",
            "brackets",
            "doit être une liste non vide de tranches avec le modèle « brackets ».",
        )
        return None
    price_key = "price" if column_keys is None else "prices"
    brackets = []
    for index, item in enumerate(value):
        path = f"brackets[{index}]"
        doc = reader.mapping(
            item,
            path,
            required=("label", "min", "max"),
            optional=("min_included", "max_included", price_key, "when"),
        )
        if doc is None:
            continue
        if column_keys is None and "prices" in doc:
            reader.problem(
                "model",
                f"{path}.prices",
                "une grille sans colonnes donne un seul prix par tranche : utilisez "
                "« price ».",
            )
        if column_keys is not None and "price" in doc:
            reader.problem(
                "model",
                f"{path}.price",
                "une grille avec colonnes donne un prix par colonne : utilisez "
                "« prices ».",
            )
        price = prices = None
        if column_keys is None:
            price = reader.decimal(doc.get("price"), f"{path}.price", nullable=True)
        else:
            # Missing prices are the validation's business (a conditional line may
            # leave a column out); an empty mapping keeps the export lossless.
            prices = _read_prices(
                reader, doc.get("prices") or {}, f"{path}.prices", column_keys
            )
        when = _read_condition(reader, doc.get("when"), f"{path}.when")
        bound_max = reader.decimal(doc.get("max"), f"{path}.max", nullable=True)
        max_included = doc.get("max_included", bound_max is not None)
        brackets.append(
            Bracket(
                label=reader.text(doc.get("label"), f"{path}.label"),
                min=reader.decimal(doc.get("min"), f"{path}.min", nullable=True),
                min_included=reader.boolean(
                    doc.get("min_included", True), f"{path}.min_included"
                ),
                max=bound_max,
                max_included=reader.boolean(max_included, f"{path}.max_included"),
                price=price,
                prices=prices,
                when=when,
            )
        )
    return tuple(brackets)


def _read_prices(
    reader: _Reader, value: Any, path: str, column_keys: set[str]
) -> dict[str, Decimal] | None:
    doc = reader.mapping(value, path, optional=tuple(sorted(column_keys)))
    if doc is None:
        return None
    return {
        key: reader.decimal(price, f"{path}.{key}")
        for key, price in doc.items()
        if key in column_keys
    }


def _read_one_rate(reader: _Reader, value: Any, path: str) -> EffortRate | None:
    doc = reader.mapping(value, path, required=("rate",), optional=EFFORT_RATE_KEYS)
    if doc is None:
        return None
    return EffortRate(
        rate=reader.decimal(doc.get("rate"), f"{path}.rate"),
        floor=reader.decimal(doc.get("floor"), f"{path}.floor", nullable=True),
        ceiling=reader.decimal(doc.get("ceiling"), f"{path}.ceiling", nullable=True),
    )


def _read_effort_rate(
    reader: _Reader, value: Any, column_keys: set[str] | None
) -> EffortRate | dict[str, EffortRate] | None:
    if column_keys is None:
        if value is None:
            reader.problem(
                "type",
                "effort_rate",
                "doit être un objet {rate, floor, ceiling} avec le modèle "
                "« effort_rate ».",
            )
            return None
        return _read_one_rate(reader, value, "effort_rate")
    doc = reader.mapping(value, "effort_rate", optional=tuple(sorted(column_keys)))
    if doc is None:
        return None
    return {
        key: _read_one_rate(reader, item, f"effort_rate.{key}")
        for key, item in doc.items()
        if key in column_keys
    }


def _read_no_qf(reader: _Reader, value: Any) -> NoQf | None:
    doc = reader.mapping(value, "no_qf", required=("mode",), optional=("price",))
    if doc is None or "mode" not in doc:
        return None
    mode = reader.choice(doc["mode"], "no_qf.mode", NO_QF_MODES)
    if mode == "price":
        if "price" not in doc:
            reader.problem(
                "missing_key", "no_qf.price", "le mode « price » demande un prix."
            )
            return None
        return NoQf(mode=mode, price=reader.decimal(doc["price"], "no_qf.price"))
    if "price" in doc:
        reader.problem(
            "unknown_key",
            "no_qf.price",
            "un prix n'a de sens qu'avec le mode « price ».",
        )
    return NoQf(mode=mode) if mode else None


def _read_non_resident(reader: _Reader, value: Any) -> NonResident | None:
    if value is None:
        return None
    doc = reader.mapping(
        value,
        "non_resident",
        required=("mode",),
        optional=tuple(NON_RESIDENT_VALUE_KEYS.values()),
    )
    if doc is None or "mode" not in doc:
        return None
    mode = reader.choice(doc["mode"], "non_resident.mode", NON_RESIDENT_MODES)
    if mode is None:
        return None
    value_key = NON_RESIDENT_VALUE_KEYS[mode]
    for key in doc:
        if key not in ("mode", value_key) and key in NON_RESIDENT_VALUE_KEYS.values():
            reader.problem(
                "unknown_key",
                f"non_resident.{key}",
                f"n'a pas de sens avec le mode « {mode} », qui attend « {value_key} ».",
            )
    if value_key not in doc:
        reader.problem(
            "missing_key",
            f"non_resident.{value_key}",
            f"le mode « {mode} » demande « {value_key} ».",
        )
        return None
    amount = reader.decimal(doc[value_key], f"non_resident.{value_key}")
    return NonResident(mode=mode, value=amount)


def _read_siblings(reader: _Reader, value: Any) -> Siblings | None:
    if value is None:
        return None
    doc = reader.mapping(
        value,
        "siblings",
        required=("reductions",),
        optional=("not_below_floor", "applies_to"),
    )
    if doc is None or "reductions" not in doc:
        return None
    items = doc["reductions"]
    if not isinstance(items, list) or not items:
        reader.problem(
            "type", "siblings.reductions", "doit être une liste non vide de réductions."
        )
        return None
    reductions = []
    for index, item in enumerate(items):
        path = f"siblings.reductions[{index}]"
        reduction = reader.mapping(item, path, required=("from_rank", "percent"))
        if reduction is None or not {"from_rank", "percent"} <= reduction.keys():
            continue
        reductions.append(
            SiblingReduction(
                from_rank=reader.integer(reduction["from_rank"], f"{path}.from_rank"),
                percent=reader.decimal(reduction["percent"], f"{path}.percent"),
            )
        )
    return Siblings(
        reductions=tuple(reductions),
        not_below_floor=reader.boolean(
            doc.get("not_below_floor", False), "siblings.not_below_floor"
        ),
        applies_to=reader.choice(
            doc.get("applies_to", "all"), "siblings.applies_to", SIBLINGS_APPLIES_TO
        ),
    )


def _read_rounding(reader: _Reader, value: Any) -> Rounding | None:
    doc = reader.mapping(value, "rounding", optional=("step", "mode"))
    if doc is None:
        return None
    return Rounding(
        step=reader.decimal(doc.get("step", "0.01"), "rounding.step"),
        mode=reader.choice(doc.get("mode", "half_up"), "rounding.mode", ROUNDING_MODES),
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


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any) -> str:
    return "absente" if value is MISSING else f"« {value} »"
