"""The pricing engine: the example barèmes, every validation problem, every rule."""

import copy
import json
from decimal import Decimal

import pytest

from activities.pricing import (
    InvalidBareme,
    PricingError,
    Situation,
    check_bareme,
    describe_situation,
    load_bareme,
    parse_bareme,
    quote,
    situation_from_dict,
    to_document,
    validate_document,
)
from activities.pricing.formatting import (
    describe_bounds,
    format_money,
    format_number,
    format_rate,
)

from .examples import EXAMPLE_CASES, EXAMPLE_FILES, case_id, example_document

NNBSP = "\u202f"


def base_document(**changes) -> dict:
    """A small valid single-column grid, changed by keyword (``None`` values kept)."""
    document = {
        "format": "bareme/1",
        "id": "cantine-2025",
        "label": "Restauration scolaire — repas",
        "unit": "repas",
        "deliberation": {"reference": "2025-012", "date": "2025-06-26", "url": None},
        "valid_from": "2025-09-01",
        "valid_until": "2026-08-31",
        "qf_rounding": "floor",
        "model": "brackets",
        "columns": None,
        "brackets": [
            bracket("Tranche 1", "0", "622", price="1.00"),
            bracket("Tranche 2", "623", "1000", price="3.30"),
            bracket("Tranche 3", "1001", None, price="3.50"),
        ],
        "effort_rate": None,
        "no_qf": {"mode": "highest"},
        "non_resident": None,
        "siblings": None,
        "rounding": {"step": "0.01", "mode": "half_up"},
    }
    document.update(copy.deepcopy(changes))
    return document


def bracket(label, low, high, low_included=True, high_included=None, **extra):
    return {
        "label": label,
        "min": low,
        "min_included": low_included,
        "max": high,
        "max_included": high is not None if high_included is None else high_included,
        **extra,
    }


def effort_document(**changes) -> dict:
    fields = {
        "model": "effort_rate",
        "qf_rounding": "none",
        "brackets": None,
        "effort_rate": {"rate": "0.0036", "floor": "2.60", "ceiling": "4.50"},
    }
    fields.update(changes)
    return base_document(**fields)


def real_document(**changes) -> dict:
    """Two brackets meeting at 622 €, with the QF kept with its decimals."""
    return base_document(
        qf_rounding="none",
        brackets=[
            bracket("Tranche 1", "0", "622", price="1.00"),
            bracket("Tranche 2", "622", None, low_included=False, price="3.30"),
        ],
        **changes,
    )


def price(document: dict, **situation) -> Decimal:
    return quote(load_bareme(document), Situation(**situation)).amount


def qf(value: str) -> Decimal:
    return Decimal(value)


def codes(document: dict) -> list[str]:
    return [problem.code for problem in validate_document(document)]


def only_problem(document: dict, code: str):
    problems = validate_document(document)
    assert [problem.code for problem in problems] == [code], problems
    return problems[0]


# --- The example barèmes -------------------------------------------------------------


def test_the_example_baremes_are_found():
    assert len(EXAMPLE_FILES) >= 5, "tests/activities/data/baremes not found"
    assert len(EXAMPLE_CASES) >= 30


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=case_id)
def test_every_example_is_valid(path):
    assert validate_document(example_document(path)) == []


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=case_id)
def test_every_example_exports_to_the_same_document(path):
    document = example_document(path)
    exported = to_document(load_bareme(document))
    assert exported == document
    # The JSON text itself round-trips too: no Decimal or date leaks into it.
    assert json.loads(json.dumps(exported)) == document


@pytest.mark.parametrize(("path", "number", "case"), EXAMPLE_CASES, ids=case_id)
def test_every_example_case(path, number, case):
    bareme = load_bareme(example_document(path))
    if case.get("error"):
        with pytest.raises(PricingError):
            quote(bareme, situation_from_dict(case["situation"]))
        return
    result = quote(bareme, situation_from_dict(case["situation"]))
    assert str(result.amount) == case["amount"]
    assert result.unit == bareme.unit
    assert result.bareme_id == bareme.id
    assert result.deliberation == bareme.deliberation.reference
    assert result.explanation[-1].startswith("Tarif appliqué : ")


# --- Reading a document: shape problems ----------------------------------------------


def test_a_document_that_is_not_an_object():
    assert codes([]) == ["type"]


def test_unknown_format():
    problem = only_problem(base_document(format="bareme/2"), "unknown_value")
    assert problem.path == "format"
    assert "bareme/1" in problem.message


def test_unknown_key_is_named():
    problem = only_problem(base_document(tarif="3"), "unknown_key")
    assert problem.path == "tarif"
    assert "clé inconnue « tarif »" in problem.message


def test_unknown_key_inside_a_bracket():
    document = base_document()
    document["brackets"][0]["prix"] = "1.00"
    assert only_problem(document, "unknown_key").path == "brackets[0].prix"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("qf_rounding", "ceil"),
        ("model", "forfait"),
        ("no_qf", {"mode": "lowest"}),
        ("non_resident", {"mode": "double"}),
        ("rounding", {"step": "0.01", "mode": "bankers"}),
    ],
)
def test_unknown_values(field, value):
    problem = only_problem(base_document(**{field: value}), "unknown_value")
    assert "valeur inconnue" in problem.message


def test_unknown_value_in_a_condition():
    columns = [{"key": "a", "label": "A", "when": {"regime": ["CAF"]}}]
    document = base_document(
        columns=columns,
        brackets=[bracket("T", "0", None, prices={"a": "1.00"})],
    )
    assert only_problem(document, "unknown_value").path == "columns[0].when.regime[0]"


def test_missing_required_field():
    document = base_document()
    del document["unit"]
    problem = only_problem(document, "missing_key")
    assert (problem.path, problem.message) == ("unit", "champ obligatoire manquant.")


def test_money_given_as_a_json_number_is_refused():
    document = base_document()
    document["brackets"][0]["price"] = 1.0
    problem = only_problem(document, "type")
    assert problem.path == "brackets[0].price"
    assert "entre guillemets" in problem.message


def test_money_with_a_decimal_comma_is_refused():
    document = base_document()
    document["brackets"][1]["price"] = "3,30"
    assert "séparateur décimal est le point" in only_problem(document, "type").message


def test_invalid_date():
    problem = only_problem(base_document(valid_from="2025-02-30"), "type")
    assert problem.path == "valid_from"
    assert "AAAA-MM-JJ" in problem.message


def test_price_and_prices_must_follow_the_columns():
    document = base_document()
    document["brackets"][0]["prices"] = {"a": "1.00"}
    del document["brackets"][0]["price"]
    assert "model" in codes(document)


def test_brackets_and_effort_rate_must_follow_the_model():
    assert "model" in codes(base_document(effort_rate={"rate": "0.01"}))
    assert "model" in codes(
        effort_document(brackets=[bracket("T", "0", None, price="1")])
    )


def test_parse_raises_every_shape_problem_at_once():
    with pytest.raises(InvalidBareme) as raised:
        parse_bareme(base_document(qf_rounding="ceil", tarif="3", valid_from="hier"))
    assert len(raised.value.problems) == 3
    assert "qf_rounding" in str(raised.value)


# --- Validation: the rules of a sound grid --------------------------------------------


def test_missing_deliberation_reference():
    document = base_document(deliberation={"reference": "", "date": "2025-06-26"})
    problem = only_problem(document, "missing_deliberation")
    assert problem.path == "deliberation.reference"
    assert "base légale" in problem.message


def test_missing_deliberation_date():
    document = base_document(deliberation={"reference": "2025-012"})
    problem = only_problem(document, "missing_deliberation")
    assert problem.path == "deliberation.date"


@pytest.mark.parametrize("remove", [True, False])
def test_missing_deliberation(remove):
    document = base_document(deliberation=None)
    if remove:
        del document["deliberation"]
    assert only_problem(document, "missing_deliberation").path == "deliberation"


def test_valid_until_before_valid_from():
    problem = only_problem(base_document(valid_until="2025-08-31"), "dates")
    assert problem.message == (
        "la fin de validité (31/08/2025) précède le début (01/09/2025)."
    )


def test_overlap_is_named_with_both_brackets():
    document = base_document()
    document["brackets"][1]["min"] = "600"
    problem = only_problem(document, "overlap")
    assert problem.path == "brackets[1]"
    assert problem.message == (
        "les tranches « Tranche 1 » et « Tranche 2 » se chevauchent pour les "
        "quotients de 600 € à 622 €."
    )


def test_shared_bound_included_on_both_sides_is_an_overlap():
    document = real_document()
    document["brackets"][1]["min_included"] = True
    problem = only_problem(document, "overlap")
    assert "exactement 622 €" in problem.message


def test_overlap_with_an_open_ended_bracket():
    document = base_document()
    document["brackets"].append(bracket("Tranche 4", "2000", None, price="4.00"))
    assert only_problem(document, "overlap").path == "brackets[3]"


def test_gap_between_whole_euros_is_not_a_gap_when_the_qf_is_rounded():
    for rounding in ("floor", "nearest"):
        assert validate_document(base_document(qf_rounding=rounding)) == []


def test_gap_between_whole_euros_is_a_gap_when_the_qf_keeps_its_decimals():
    document = real_document()
    document["brackets"][1].update(min="623", min_included=True)
    problem = only_problem(document, "gap")
    assert problem.path == "brackets[1]"
    assert problem.message == (
        "trou dans la grille : aucune tranche ne couvre les quotients plus de 622 € "
        "et moins de 623 €."
    )


def test_gap_of_whole_euros():
    document = base_document()
    document["brackets"][1]["min"] = "700"
    problem = only_problem(document, "gap")
    assert "de 623 € à 699 €" in problem.message


def test_gap_below_the_first_bracket():
    document = base_document()
    document["brackets"][0]["min"] = "100"
    assert "de 0 € à 99 €" in only_problem(document, "gap").message


def test_gap_above_the_last_bracket():
    document = base_document()
    document["brackets"][2]["max"] = "5000"
    document["brackets"][2]["max_included"] = True
    problem = only_problem(document, "gap")
    assert problem.path == "brackets"
    assert f"à partir de 5{NNBSP}001 €" in problem.message


def test_gap_above_the_last_bracket_with_decimals():
    document = base_document(qf_rounding="none")
    document["brackets"] = [bracket("Unique", "0", "5000", price="1.00")]
    assert f"plus de 5{NNBSP}000 €" in only_problem(document, "gap").message


def test_exclusive_bounds_leave_no_gap():
    document = base_document(qf_rounding="none")
    document["brackets"] = [
        bracket("Moins de 400 €", None, "400", high_included=False, price="1.00"),
        bracket("400 € et plus", "400", None, price="2.00"),
    ]
    assert validate_document(document) == []


def test_a_missing_single_point_is_a_gap():
    document = base_document(qf_rounding="none")
    document["brackets"] = [
        bracket("Moins de 400 €", "0", "400", high_included=False, price="1.00"),
        bracket("Plus de 400 €", "400", None, low_included=False, price="2.00"),
    ]
    assert "exactement 400 €" in only_problem(document, "gap").message


def test_brackets_in_any_order():
    document = base_document()
    document["brackets"].reverse()
    assert validate_document(document) == []


def test_bracket_with_bounds_upside_down():
    document = base_document()
    document["brackets"][1]["max"] = "500"
    problems = validate_document(document)
    assert problems[0].code == "bounds"
    assert problems[0].path == "brackets[1].max"


def test_bracket_without_any_whole_qf():
    document = base_document()
    document["brackets"].insert(1, bracket("Vide", "622.2", "622.8", price="2.00"))
    problem = only_problem(document, "bounds")
    assert "ne contient aucun quotient possible" in problem.message


def test_negative_price():
    document = base_document()
    document["brackets"][0]["price"] = "-1.00"
    problem = only_problem(document, "negative_price")
    assert problem.path == "brackets[0].price"
    assert "négatif" in problem.message


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"no_qf": {"mode": "price", "price": "-3"}}, "no_qf.price"),
        ({"non_resident": {"mode": "flat", "price": "-300"}}, "non_resident.price"),
        (
            {"non_resident": {"mode": "surcharge", "amount": "-2"}},
            "non_resident.amount",
        ),
        (
            {"non_resident": {"mode": "multiplier", "factor": "0"}},
            "non_resident.factor",
        ),
    ],
)
def test_negative_modifiers(changes, path):
    assert only_problem(base_document(**changes), "negative_price").path == path


def test_negative_effort_rate_and_bounds():
    document = effort_document(
        effort_rate={"rate": "-0.01", "floor": "-1", "ceiling": "4.50"}
    )
    assert codes(document) == ["negative_price", "negative_price"]


def test_floor_above_ceiling():
    document = effort_document(
        effort_rate={"rate": "0.0036", "floor": "5.00", "ceiling": "4.50"}
    )
    problem = only_problem(document, "floor_above_ceiling")
    assert problem.message == (
        "le prix plancher (5,00 €) dépasse le prix plafond (4,50 €)."
    )


def test_null_floor_and_ceiling_are_allowed():
    document = effort_document(
        effort_rate={"rate": "0.0036", "floor": None, "ceiling": None},
        no_qf={"mode": "price", "price": "4.50"},
    )
    assert validate_document(document) == []


def test_no_ceiling_with_highest_no_qf_price():
    document = effort_document(
        effort_rate={"rate": "0.0036", "floor": "1.00", "ceiling": None}
    )
    assert only_problem(document, "no_ceiling").path == "effort_rate.ceiling"


COLUMNS = [
    {"key": "resident", "label": "Résident", "when": {"residence": "resident"}},
    {"key": "exterieur", "label": "Extérieur", "when": {"residence": "non_resident"}},
]


def test_ordinary_bracket_without_the_price_of_a_column():
    document = base_document(
        columns=COLUMNS,
        brackets=[
            bracket("T1", "0", "622", prices={"resident": "1.00", "exterieur": "5.00"}),
            bracket("T2", "623", None, prices={"resident": "3.00"}),
        ],
    )
    problem = only_problem(document, "missing_price")
    assert problem.path == "brackets[1].prices.exterieur"
    assert problem.message == (
        "la tranche « T2 » n'a pas de prix pour la colonne « exterieur »."
    )


def test_single_column_bracket_without_price():
    document = base_document()
    document["brackets"][0]["price"] = None
    assert only_problem(document, "missing_price").path == "brackets[0].price"


def test_conditional_bracket_may_leave_a_column_out_but_not_all():
    rsa = {"flags": ["rsa"]}
    partial = bracket("RSA", None, None, prices={"resident": "0.50"}, when=rsa)
    empty = bracket("CCAS", None, None, prices={}, when={"flags": ["ccas"]})
    ordinary = bracket("T", "0", None, prices={"resident": "1", "exterieur": "2"})
    assert (
        validate_document(base_document(columns=COLUMNS, brackets=[partial, ordinary]))
        == []
    )
    document = base_document(columns=COLUMNS, brackets=[empty, ordinary])
    assert codes(document) == ["missing_price", "missing_price"]


def test_unknown_column_in_prices():
    document = base_document(
        columns=COLUMNS,
        brackets=[
            bracket(
                "T", "0", None, prices={"resident": "1", "exterieur": "2", "x": "3"}
            )
        ],
    )
    assert only_problem(document, "unknown_key").path == "brackets[0].prices.x"


def test_effort_rate_missing_for_a_column():
    document = effort_document(
        columns=COLUMNS,
        effort_rate={"resident": {"rate": "0.01", "floor": "1", "ceiling": "5"}},
    )
    assert only_problem(document, "missing_price").path == "effort_rate.exterieur"


def test_only_conditional_brackets():
    document = base_document(
        brackets=[bracket("RSA", None, None, price="0.50", when={"flags": ["rsa"]})]
    )
    assert only_problem(document, "no_bracket").path == "brackets"


def test_duplicate_column_key_and_unreachable_column():
    columns = [
        {"key": "tous", "label": "Tous", "when": {}},
        {"key": "tous", "label": "Encore", "when": {"residence": "resident"}},
    ]
    document = base_document(
        columns=columns, brackets=[bracket("T", "0", None, prices={"tous": "1"})]
    )
    assert codes(document) == ["duplicate_key", "unreachable_column"]


def test_child_rank_range_upside_down():
    columns = [{"key": "a", "label": "A", "when": {"child_rank": {"min": 3, "max": 2}}}]
    document = base_document(
        columns=columns, brackets=[bracket("T", "0", None, prices={"a": "1"})]
    )
    assert only_problem(document, "bounds").path == "columns[0].when.child_rank"


def test_sibling_reductions_are_checked():
    document = base_document(
        siblings={
            "reductions": [
                {"from_rank": 2, "percent": "10"},
                {"from_rank": 2, "percent": "120"},
            ]
        }
    )
    assert codes(document) == ["duplicate_key", "bad_percent"]


def test_rounding_step_must_be_positive():
    assert only_problem(base_document(rounding={"step": "0"}), "bad_step")


def test_problem_reads_as_one_line():
    problem = only_problem(base_document(valid_until="2025-08-31"), "dates")
    assert str(problem).startswith("valid_until : la fin de validité")


def test_load_bareme_refuses_a_grid_with_problems():
    with pytest.raises(InvalidBareme) as raised:
        load_bareme(base_document(qf_rounding="none"))
    assert [p.code for p in raised.value.problems] == ["gap", "gap"]


# --- Defaults and the round trip ------------------------------------------------------


def test_defaults_of_optional_fields():
    document = real_document()
    for key in ("valid_until", "qf_rounding", "columns", "no_qf", "rounding"):
        del document[key]
    document["brackets"][0].pop("min_included")
    document["brackets"][0].pop("max_included")
    exported = to_document(load_bareme(document))
    assert exported["brackets"][0]["min_included"] is True
    assert exported["brackets"][0]["max_included"] is True
    assert exported["qf_rounding"] == "none"
    assert exported["no_qf"] == {"mode": "highest"}
    assert exported["rounding"] == {"step": "0.01", "mode": "half_up"}
    assert exported["valid_until"] is None
    assert parse_bareme(exported) == parse_bareme(document)


def test_an_empty_when_is_no_when():
    columns = [
        {"key": "a", "label": "A", "when": {"residence": "resident"}},
        {"key": "b", "label": "B", "when": {}},
    ]
    document = base_document(
        columns=columns,
        brackets=[
            bracket("T", "0", None, prices={"a": "1.00", "b": "2.00"}, when={}),
        ],
    )
    bareme = load_bareme(document)
    assert bareme.columns[1].when is None
    assert not bareme.brackets[0].is_conditional
    exported = to_document(bareme)
    assert "when" not in exported["columns"][1]
    assert "when" not in exported["brackets"][0]
    assert parse_bareme(exported) == bareme


def test_a_child_rank_without_bounds_is_refused():
    columns = [{"key": "a", "label": "A", "when": {"child_rank": {}}}]
    document = base_document(
        columns=columns, brackets=[bracket("T", "0", None, prices={"a": "1"})]
    )
    problem = only_problem(document, "type")
    assert problem.path == "columns[0].when.child_rank"


# --- Quoting: the rules --------------------------------------------------------------


def test_inclusive_and_exclusive_bounds():
    document = base_document(
        qf_rounding="none",
        brackets=[
            bracket("A", "0", "500", price="1.00"),
            bracket(
                "B", "500", "800", low_included=False, high_included=False, price="2.00"
            ),
            bracket("C", "800", None, price="3.00"),
        ],
    )
    assert price(document, qf=qf("500")) == Decimal("1.00")
    assert price(document, qf=qf("500.001")) == Decimal("2.00")
    assert price(document, qf=qf("799.99")) == Decimal("2.00")
    assert price(document, qf=qf("800")) == Decimal("3.00")
    assert price(document, qf=qf("0")) == Decimal("1.00")


def test_bracket_step_in_french():
    result = quote(load_bareme(base_document()), Situation(qf=qf("850")))
    assert result.bracket == "Tranche 2"
    assert result.column is None
    assert result.qf_used == Decimal("850")
    assert result.explanation == (
        "Quotient familial retenu : 850 €",
        f"Tranche 2 (de 623 € à 1{NNBSP}000 €) : 3,30 €",
        "Tarif appliqué : 3,30 € par repas",
    )


def test_qf_outside_every_bracket_is_an_error():
    document = base_document()
    document["brackets"][0]["min"] = "100"
    bareme = parse_bareme(document)  # unsound on purpose: validation would refuse it
    with pytest.raises(PricingError, match="Aucune tranche du barème ne couvre"):
        quote(bareme, Situation(qf=qf("50")))


def test_negative_qf_is_an_error():
    with pytest.raises(PricingError, match="ne peut pas être négatif"):
        quote(load_bareme(base_document()), Situation(qf=qf("-0.5")))


@pytest.mark.parametrize(
    ("rounding", "given", "used"),
    [
        ("none", "622.80", "622.80"),
        ("floor", "622.80", "622"),
        ("nearest", "622.50", "623"),
        ("nearest", "622.49", "622"),
    ],
)
def test_qf_rounding(rounding, given, used):
    document = effort_document(
        qf_rounding=rounding,
        effort_rate={"rate": "0.01", "floor": None, "ceiling": "100"},
        rounding={"step": "0.0001", "mode": "half_up"},
    )
    result = quote(load_bareme(document), Situation(qf=qf(given)))
    assert result.qf_used == Decimal(used)
    assert result.amount == Decimal(used) / 100


def test_qf_rounding_is_explained():
    result = quote(load_bareme(base_document()), Situation(qf=qf("622.80")))
    assert result.explanation[:2] == (
        "Quotient familial déclaré : 622,80 €",
        "Quotient familial retenu (tronqué à l'euro) : 622 €",
    )


def test_effort_rate_with_floor_and_ceiling():
    document = effort_document()
    assert price(document, qf=qf("850")) == Decimal("3.06")
    assert price(document, qf=qf("100")) == Decimal("2.60")
    assert price(document, qf=qf("5000")) == Decimal("4.50")


def test_effort_rate_explanation():
    result = quote(load_bareme(effort_document()), Situation(qf=qf("1111")))
    assert result.explanation == (
        f"Quotient familial retenu : 1{NNBSP}111 €",
        f"1{NNBSP}111 × 0,36 % = 3,9996 €",
        "Arrondi au centime le plus proche : 4,00 €",
        "Tarif appliqué : 4,00 € par repas",
    )
    floor = quote(load_bareme(effort_document()), Situation(qf=qf("100")))
    assert "Prix plancher appliqué : 2,60 €" in floor.explanation


def test_effort_rate_without_floor_or_ceiling():
    document = effort_document(
        effort_rate={"rate": "0.01", "floor": None, "ceiling": None},
        no_qf={"mode": "price", "price": "40.00"},
    )
    assert price(document, qf=qf("0")) == Decimal("0.00")
    assert price(document, qf=qf("9000")) == Decimal("90.00")
    assert price(document) == Decimal("40.00")


def test_effort_rate_by_column():
    document = effort_document(
        columns=COLUMNS,
        effort_rate={
            "resident": {"rate": "0.01", "floor": "1.00", "ceiling": "10.00"},
            "exterieur": {"rate": "0.02", "floor": "2.00", "ceiling": "20.00"},
        },
    )
    assert price(document, qf=qf("500")) == Decimal("5.00")
    assert price(document, qf=qf("500"), residence="non_resident") == Decimal("10.00")
    assert price(document, residence="non_resident") == Decimal("20.00")


RANK_COLUMNS = [
    {"key": "ccas", "label": "CCAS", "when": {"flags": ["ccas", "rsa"]}},
    {"key": "msa", "label": "MSA", "when": {"regime": ["MSA"]}},
    {"key": "rang_1", "label": "1er enfant", "when": {"child_rank": {"max": 1}}},
    {
        "key": "rang_2_3",
        "label": "2e et 3e",
        "when": {"child_rank": {"min": 2, "max": 3}},
    },
]


def rank_document(**changes):
    prices = {"ccas": "0.10", "msa": "0.20", "rang_1": "1.00", "rang_2_3": "0.80"}
    return base_document(
        columns=RANK_COLUMNS,
        brackets=[bracket("Unique", "0", None, prices=prices)],
        **changes,
    )


@pytest.mark.parametrize(
    ("situation", "column"),
    [
        ({"child_rank": 1}, "rang_1"),
        ({"child_rank": 3}, "rang_2_3"),
        ({"child_rank": 1, "regime": "MSA"}, "msa"),
        ({"child_rank": 2, "regime": "CNAF", "flags": frozenset({"ccas"})}, "rang_2_3"),
        ({"child_rank": 2, "flags": frozenset({"ccas", "rsa", "x"})}, "ccas"),
        (
            {"child_rank": 1, "regime": "MSA", "flags": frozenset({"rsa", "ccas"})},
            "ccas",
        ),
    ],
)
def test_first_matching_column_wins(situation, column):
    result = quote(load_bareme(rank_document()), Situation(qf=qf("100"), **situation))
    assert result.column == column
    assert result.explanation[0] == f"Colonne : {result.column_label}"


def test_no_matching_column_is_an_error():
    with pytest.raises(PricingError) as raised:
        quote(load_bareme(rank_document()), Situation(qf=qf("100"), child_rank=4))
    assert raised.value.message == (
        "Aucune colonne du barème ne correspond à cette situation (quotient familial "
        "de 100 €, résident, 4e enfant, non allocataire)."
    )


def ccas_document(**changes):
    return base_document(
        columns=COLUMNS,
        brackets=[
            bracket(
                "RSA jusqu'à 500 €",
                "0",
                "500",
                prices={"resident": "0.20"},
                when={"flags": ["rsa"]},
            ),
            bracket(
                "CCAS",
                None,
                None,
                prices={"resident": "0.50", "exterieur": "0.90"},
                when={"flags": ["ccas"]},
            ),
            bracket("T1", "0", "622", prices={"resident": "1.00", "exterieur": "4.00"}),
            bracket(
                "T2", "623", None, prices={"resident": "3.00", "exterieur": "6.00"}
            ),
        ],
        **changes,
    )


def test_conditional_brackets_are_tried_first():
    rsa, ccas = frozenset({"rsa"}), frozenset({"ccas"})
    document = ccas_document()
    assert price(document, qf=qf("300"), flags=rsa) == Decimal("0.20")
    assert price(document, qf=qf("300")) == Decimal("1.00")
    assert price(document, qf=qf("2000"), flags=ccas) == Decimal("0.50")
    assert price(document, qf=qf("2000"), flags=ccas | rsa) == Decimal("0.50")


def test_conditional_bracket_bounds_still_apply():
    document = ccas_document()
    assert price(document, qf=qf("700"), flags=frozenset({"rsa"})) == Decimal("3.00")


def test_conditional_bracket_without_the_column_price_falls_through():
    result = quote(
        load_bareme(ccas_document()),
        Situation(qf=qf("300"), residence="non_resident", flags=frozenset({"rsa"})),
    )
    assert (result.amount, result.bracket) == (Decimal("4.00"), "T1")


def test_conditional_bracket_explanation():
    result = quote(
        load_bareme(ccas_document()), Situation(qf=qf("300"), flags=frozenset({"ccas"}))
    )
    assert "Ligne particulière « CCAS » : 0,50 €" in result.explanation
    assert result.bracket == "CCAS"


def test_without_qf_a_conditional_line_ignoring_the_qf_still_applies():
    document = ccas_document()
    assert price(document, flags=frozenset({"ccas"})) == Decimal("0.50")
    # The RSA line needs a QF: without one the family pays the highest price.
    assert price(document, flags=frozenset({"rsa"})) == Decimal("3.00")


def test_no_qf_highest_is_the_highest_price_of_the_column():
    document = ccas_document()
    assert price(document) == Decimal("3.00")
    assert price(document, residence="non_resident") == Decimal("6.00")
    result = quote(load_bareme(document), Situation())
    assert result.explanation[1:3] == (
        "Quotient familial non communiqué",
        "Tarif le plus élevé de la grille : 3,00 €",
    )
    assert result.qf_used is None and result.bracket is None


def test_no_qf_highest_with_non_monotonic_prices():
    document = base_document()
    document["brackets"][1]["price"] = "9.99"
    assert price(document) == Decimal("9.99")


def test_no_qf_set_price():
    document = base_document(no_qf={"mode": "price", "price": "3.00"})
    result = quote(load_bareme(document), Situation())
    assert result.amount == Decimal("3.00")
    assert "Tarif sans quotient familial : 3,00 €" in result.explanation


def test_no_qf_effort_rate_pays_the_ceiling():
    result = quote(load_bareme(effort_document()), Situation())
    assert result.amount == Decimal("4.50")
    assert "Prix plafond appliqué : 4,50 €" in result.explanation


@pytest.mark.parametrize(
    ("rule", "expected", "step"),
    [
        (
            {"mode": "flat", "price": "300.00"},
            "300.00",
            "Tarif non-résident (forfait) : 300,00 €",
        ),
        (
            {"mode": "multiplier", "factor": "2"},
            "6.60",
            "Tarif non-résident : 3,30 € × 2 = 6,60 €",
        ),
        (
            {"mode": "multiplier", "factor": "1.5"},
            "4.95",
            "Tarif non-résident : 3,30 € × 1,5 = 4,95 €",
        ),
        (
            {"mode": "surcharge", "amount": "2.50"},
            "5.80",
            "Majoration non-résident : 3,30 € + 2,50 € = 5,80 €",
        ),
    ],
)
def test_non_resident_rules(rule, expected, step):
    bareme = load_bareme(base_document(non_resident=rule))
    result = quote(bareme, Situation(qf=qf("850"), residence="non_resident"))
    assert result.amount == Decimal(expected)
    assert step in result.explanation
    assert quote(bareme, Situation(qf=qf("850"))).amount == Decimal("3.30")


def test_non_resident_rule_is_skipped_when_the_column_selects_on_residence():
    document = ccas_document(non_resident={"mode": "multiplier", "factor": "2"})
    assert price(document, qf=qf("100"), residence="non_resident") == Decimal("4.00")


def test_non_resident_rule_applies_when_the_column_does_not_select_on_residence():
    document = rank_document(non_resident={"mode": "surcharge", "amount": "1"})
    assert price(document, qf=qf("100"), residence="non_resident") == Decimal("2.00")


SIBLINGS = {
    "reductions": [
        {"from_rank": 2, "percent": "10"},
        {"from_rank": 3, "percent": "20"},
    ],
    "not_below_floor": False,
    "applies_to": "all",
}


@pytest.mark.parametrize(
    ("rank", "expected"), [(1, "3.30"), (2, "2.97"), (3, "2.64"), (7, "2.64")]
)
def test_sibling_reduction_by_rank(rank, expected):
    document = base_document(siblings=SIBLINGS)
    assert price(document, qf=qf("850"), child_rank=rank) == Decimal(expected)


def test_sibling_reductions_in_any_order():
    siblings = dict(SIBLINGS, reductions=list(reversed(SIBLINGS["reductions"])))
    assert price(
        base_document(siblings=siblings), qf=qf("850"), child_rank=4
    ) == Decimal("2.64")


def test_sibling_reduction_explained_in_french():
    bareme = load_bareme(effort_document(siblings=SIBLINGS))
    result = quote(bareme, Situation(qf=qf("1000"), child_rank=2))
    assert result.explanation == (
        f"Quotient familial retenu : 1{NNBSP}000 €",
        f"1{NNBSP}000 × 0,36 % = 3,60 €",
        "Réduction fratrie 2e enfant : \u221210 % = 3,24 €",
        "Tarif appliqué : 3,24 € par repas",
    )


def test_sibling_reduction_not_below_the_effort_rate_floor():
    siblings = dict(SIBLINGS, not_below_floor=True)
    document = effort_document(siblings=siblings)
    result = quote(load_bareme(document), Situation(qf=qf("800"), child_rank=3))
    assert result.amount == Decimal("2.60")  # 2.88 − 20 % = 2.304, floor 2.60
    assert "Réduction limitée au prix plancher : 2,60 €" in result.explanation
    without_limit = effort_document(siblings=SIBLINGS)
    assert price(without_limit, qf=qf("800"), child_rank=3) == Decimal("2.30")


def test_sibling_reduction_not_below_the_lowest_bracket_price():
    siblings = dict(SIBLINGS, not_below_floor=True)
    document = base_document(siblings=siblings)
    assert price(document, qf=qf("700"), child_rank=3) == Decimal("2.64")
    assert price(document, qf=qf("100"), child_rank=3) == Decimal("1.00")
    document["brackets"][1]["price"] = "1.10"
    assert price(document, qf=qf("700"), child_rank=3) == Decimal("1.00")


def test_sibling_floor_never_raises_a_price_already_below_it():
    siblings = dict(SIBLINGS, not_below_floor=True)
    assert price(
        ccas_document(siblings=siblings),
        qf=qf("100"),
        child_rank=2,
        flags=frozenset({"ccas"}),
    ) == Decimal("0.50")


def test_sibling_reduction_for_residents_only():
    siblings = dict(SIBLINGS, applies_to="residents")
    document = base_document(
        siblings=siblings, non_resident={"mode": "multiplier", "factor": "2"}
    )
    assert price(document, qf=qf("850"), child_rank=2) == Decimal("2.97")
    assert price(
        document, qf=qf("850"), child_rank=2, residence="non_resident"
    ) == Decimal("6.60")


def test_sibling_reduction_applies_after_the_non_resident_rule():
    document = base_document(
        siblings=SIBLINGS, non_resident={"mode": "flat", "price": "300.00"}
    )
    result = quote(
        load_bareme(document),
        Situation(qf=qf("850"), child_rank=2, residence="non_resident"),
    )
    assert result.amount == Decimal("270.00")


def test_sibling_reduction_skipped_when_the_column_selects_on_child_rank():
    assert price(rank_document(siblings=SIBLINGS), qf=qf("1"), child_rank=2) == Decimal(
        "0.80"
    )


def test_sibling_reduction_applies_when_the_column_does_not_select_on_child_rank():
    document = ccas_document(siblings=SIBLINGS)
    assert price(document, qf=qf("100"), child_rank=2) == Decimal("0.90")


@pytest.mark.parametrize(
    ("step", "mode", "expected", "words"),
    [
        ("0.01", "half_up", "3.13", "au centime le plus proche"),
        (
            "0.01",
            "half_even",
            "3.12",
            "au centime le plus proche (au pair en cas d'égalité)",
        ),
        ("0.01", "up", "3.13", "au centime supérieur"),
        ("0.01", "down", "3.12", "au centime inférieur"),
        ("0.05", "half_up", "3.15", "au multiple de 0,05 € le plus proche"),
        ("0.05", "down", "3.10", "au multiple de 0,05 € inférieur"),
        ("1", "half_up", "3", "à l'euro le plus proche"),
        ("1", "up", "4", "à l'euro supérieur"),
    ],
)
def test_final_rounding(step, mode, expected, words):
    document = effort_document(
        effort_rate={"rate": "0.0025", "floor": None, "ceiling": "10"},
        rounding={"step": step, "mode": mode},
    )
    result = quote(load_bareme(document), Situation(qf=qf("1250")))  # 3.125
    assert str(result.amount) == expected
    assert f"Arrondi {words} : {format_money(Decimal(expected))}" in result.explanation


def test_half_even_rounds_to_the_even_cent():
    document = effort_document(
        effort_rate={"rate": "0.0027", "floor": None, "ceiling": "10"},
        rounding={"step": "0.01", "mode": "half_even"},
    )
    assert price(document, qf=qf("1250")) == Decimal("3.38")  # 3.375


def test_no_rounding_step_when_nothing_is_rounded():
    result = quote(load_bareme(base_document()), Situation(qf=qf("100")))
    assert not any(step.startswith("Arrondi") for step in result.explanation)


def test_rounding_keeps_the_cents_of_the_step():
    assert str(price(base_document(), qf=qf("100"))) == "1.00"


def test_quote_as_json_object():
    result = quote(load_bareme(effort_document()), Situation(qf=qf("850")))
    assert result.to_dict() == {
        "amount": "3.06",
        "unit": "repas",
        "bareme": "cantine-2025",
        "deliberation": "2025-012",
        "column": None,
        "bracket": None,
        "explanation": [
            "Quotient familial retenu : 850 €",
            "850 × 0,36 % = 3,06 €",
            "Tarif appliqué : 3,06 € par repas",
        ],
    }


# --- Situations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("situation", "message"),
    [
        ({"qf": "12,5"}, "nombre décimal"),
        ({"qf": 712}, "nombre décimal"),
        ({"qf": "712", "child_rank": 0}, "rang de l'enfant"),
        ({"qf": "712", "residence": "ailleurs"}, "Résidence inconnue"),
        ({"qf": "712", "regime": "CAF"}, "Régime inconnu"),
        ({"qf": "712", "flags": "rsa"}, "indicateurs"),
        ({"qf": "712", "rank": 2}, "clé inconnue"),
    ],
)
def test_malformed_situations(situation, message):
    with pytest.raises(PricingError, match=message):
        situation_from_dict(situation)


def test_situation_defaults():
    assert situation_from_dict({"qf": None}) == Situation()
    assert situation_from_dict({"qf": "712"}) == Situation(qf=Decimal("712"))


def test_describe_situation():
    situation = Situation(
        qf=qf("1250.5"),
        residence="non_resident",
        child_rank=2,
        regime="MSA",
        flags=frozenset({"rsa", "ccas"}),
    )
    assert describe_situation(situation) == (
        f"quotient familial de 1{NNBSP}250,5 €, non-résident, 2e enfant, "
        "allocataire MSA, indicateurs : ccas, rsa"
    )


# --- French formatting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0", "0"),
        ("850", "850"),
        ("1000", f"1{NNBSP}000"),
        ("622.80", "622,80"),
        ("1234567.891", f"1{NNBSP}234{NNBSP}567,891"),
        ("-12.5", "\u221212,5"),
    ],
)
def test_format_number(value, text):
    assert format_number(Decimal(value)) == text


def test_format_money_and_rate():
    assert format_money(Decimal("3.3")) == "3,30 €"
    assert format_money(Decimal("3.0600")) == "3,06 €"
    assert format_money(Decimal("3.9996")) == "3,9996 €"
    assert format_money(Decimal("1500")) == f"1{NNBSP}500,00 €"
    assert format_rate(Decimal("0.0036")) == "0,36 %"
    assert format_rate(Decimal("0.05")) == "5 %"


@pytest.mark.parametrize(
    ("bounds", "text"),
    [
        ((None, True, None, False), "quel que soit le quotient"),
        (("623", True, "1000", True), f"de 623 € à 1{NNBSP}000 €"),
        (("308", False, "500", True), "plus de 308 € jusqu'à 500 €"),
        (("0", True, "400", False), "de 0 € à moins de 400 €"),
        (("400", False, "500", False), "plus de 400 € et moins de 500 €"),
        (("400", True, None, False), "à partir de 400 €"),
        (("400", False, None, False), "plus de 400 €"),
        ((None, True, "400", True), "jusqu'à 400 €"),
        ((None, True, "400", False), "moins de 400 €"),
        (("400", True, "400", True), "exactement 400 €"),
    ],
)
def test_describe_bounds(bounds, text):
    low, low_included, high, high_included = bounds
    assert (
        describe_bounds(
            None if low is None else Decimal(low),
            low_included,
            None if high is None else Decimal(high),
            high_included,
        )
        == text
    )


def test_check_bareme_on_a_parsed_example():
    assert check_bareme(parse_bareme(base_document())) == []
