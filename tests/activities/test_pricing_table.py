"""A barème laid out for parents: headers, rows in QF order, the rules in words."""

from activities.pricing import load_bareme
from activities.pricing.table import grid_table

from .examples import EXAMPLES_DIR, example_document
from .test_pricing import base_document, bracket, effort_document

NNBSP = "\u202f"


def example(name):
    return load_bareme(example_document(EXAMPLES_DIR / f"{name}.json"))


def test_columns_become_headers_and_special_lines_come_first():
    table = grid_table(example("wavrin-centre-loisirs"))
    assert table.title == "Accueil de loisirs — journée"
    assert table.unit_line == "tarif par journée"
    assert table.corner == "Quotient familial"
    assert table.column_headers == (
        "1er enfant",
        "2e enfant",
        "3e enfant",
        "4e enfant et +",
        "Extérieur",
    )
    special, first = table.rows[0], table.rows[1]
    assert (special.header, special.note) == ("Conditions CCAS", "")
    assert special.cells == ("2,00 €", "1,00 €", "0,50 €", "0,50 €", "—")
    assert (first.header, first.note) == ("De 0 € à 308 €", "0 à 308")
    assert table.rows[2].header == "Plus de 308 € jusqu'à 500 €"


def test_rows_follow_the_qf_whatever_the_document_order():
    document = base_document()
    document["brackets"].reverse()
    headers = [row.header for row in grid_table(load_bareme(document)).rows]
    assert headers == [
        "De 0 € à 622 €",
        f"De 623 € à 1{NNBSP}000 €",
        f"À partir de 1{NNBSP}001 €",
    ]


def test_effort_rate_rows():
    table = grid_table(example("fay-aux-loges-restauration"))
    assert table.column_headers == ("Tarif par repas",)
    assert [(row.header, row.cells) for row in table.rows] == [
        ("Taux appliqué au quotient familial", ("0,36 %",)),
        ("Prix plancher", ("2,60 €",)),
        ("Prix plafond", ("4,50 €",)),
    ]
    assert table.rules[0] == "Sans quotient familial communiqué : prix plafond."


def test_effort_rate_without_bounds():
    document = effort_document(
        effort_rate={"rate": "0.01", "floor": None, "ceiling": None},
        no_qf={"mode": "price", "price": "5.00"},
    )
    table = grid_table(load_bareme(document))
    assert table.rows[1].cells == ("aucun",)


def test_every_rule_in_words():
    document = base_document(
        no_qf={"mode": "price", "price": "3.00"},
        non_resident={"mode": "multiplier", "factor": "1.5"},
        siblings={
            "reductions": [
                {"from_rank": 3, "percent": "20"},
                {"from_rank": 2, "percent": "10"},
            ],
            "not_below_floor": True,
            "applies_to": "residents",
        },
        rounding={"step": "0.05", "mode": "up"},
        brackets=[bracket("Unique", "0", None, price="2.00")],
    )
    assert grid_table(load_bareme(document)).rules == (
        "Le quotient familial est tronqué à l'euro (622,80 € compte pour 622 €).",
        "Sans quotient familial communiqué : 3,00 € par repas.",
        "Familles hors commune : tarif multiplié par 1,5.",
        "Réduction fratrie : \u221210 % à partir du 2e enfant, \u221220 % à partir du 3e "
        "enfant (sans descendre sous le prix plancher, pour les familles de la commune).",
        "Prix arrondi au multiple de 0,05 € supérieur.",
        "Tarifs valables du 01/09/2025 au 31/08/2026, votés par le conseil municipal "
        "(référence : 2025-012, du 26/06/2025).",
    )


def test_open_ended_validity_and_flat_or_surcharge_rules():
    flat = base_document(
        valid_until=None, non_resident={"mode": "flat", "price": "300.00"}
    )
    rules = grid_table(load_bareme(flat)).rules
    assert "Familles hors commune : prix forfaitaire de 300,00 €." in rules
    assert rules[-1].startswith("Tarifs valables du 01/09/2025, sans date de fin")
    surcharge = base_document(non_resident={"mode": "surcharge", "amount": "2.50"})
    assert (
        "Familles hors commune : tarif majoré de 2,50 €."
        in grid_table(load_bareme(surcharge)).rules
    )
