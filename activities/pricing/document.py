"""Reading a ``bareme/1`` JSON document into a ``Bareme`` (writing it back: ``writer``).

Reading checks the shape of the document (keys, types, allowed values) and reports every
problem at once; the rules of a sound grid (no overlap, no gap…) live in ``validation``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .errors import InvalidBareme
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
from .reader import ID_RE, MISSING, _Reader, _show

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


def parse_bareme(document: Any) -> Bareme:
    """Read a ``bareme/1`` document; raise ``InvalidBareme`` listing every shape problem.

    The result may still break the rules of a sound grid: use ``load_bareme`` to read and
    validate at once, or ``check_bareme`` on the result.
    """
    reader = _Reader()
    # Beyond the limits (too deep, too long, NUL…), nothing else is read.
    bareme = _read_bareme(reader, document) if reader.screen(document) else None
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
