"""A QF from an avis d'imposition, by both rules of DOMAIN.md (plain Python, no DB)."""

from decimal import Decimal

import pytest

from family_portal.backoffice.qf_compute import (
    QfComputationError,
    fiscal_parts_qf,
    per_person_qf,
)


def test_fiscal_parts_rule_matches_the_domain_example():
    # RFR 45 000 €, couple with two children (3 parts) → 45 000 / 12 / 3 = 1 250 €.
    result = fiscal_parts_qf([Decimal("45000")], Decimal("3"))
    assert result.value == Decimal("1250.00")
    assert result.formula == "45\u202f000 € / 12 / 3 parts fiscales = 1\u202f250,00 €"


def test_two_notices_of_an_unmarried_couple_are_added():
    result = fiscal_parts_qf([Decimal("30000"), Decimal("15000"), None], Decimal("2.5"))
    assert result.value == Decimal("1500.00")
    assert result.formula.startswith("(30\u202f000 € + 15\u202f000 €) / 12 / 2,5 parts")


def test_a_single_parent_with_one_child_has_two_fiscal_parts():
    # Same income, fewer parts than the CAF's 2.5: a higher fiscal QF.
    assert fiscal_parts_qf([Decimal("24000")], Decimal("2")).value == Decimal("1000.00")


def test_the_value_is_rounded_once_to_the_cent_half_up():
    # 10 000 / 12 / 3 = 277.777… → 277.78
    assert fiscal_parts_qf([Decimal("10000")], Decimal("3")).value == Decimal("277.78")
    # 1 / 12 / 4 = 0.0208… → 0.02 ; 3 / 12 / 4 = 0.0625 → 0.06 (half up: 0.065 → 0.07)
    assert fiscal_parts_qf([Decimal("3.12")], Decimal("4")).value == Decimal("0.07")


@pytest.mark.parametrize("parts", ["0.5", "0", "2.3", "-1"])
def test_parts_come_in_quarters_from_one(parts):
    with pytest.raises(QfComputationError, match="parts fiscales"):
        fiscal_parts_qf([Decimal("30000")], Decimal(parts))


def test_a_quarter_part_is_accepted():
    # A child in shared residence counts half of a half part.
    assert fiscal_parts_qf([Decimal("39000")], Decimal("3.25")).value == Decimal(
        "1000.00"
    )


def test_per_person_rule_deducts_maintenance_paid():
    result = per_person_qf([Decimal("32000")], Decimal("2400"), 4)
    assert result.value == Decimal("616.67")
    assert result.formula == (
        "(32\u202f000 € − 2\u202f400 € de pensions versées) / 12 / 4 personnes "
        "= 616,67 €"
    )


def test_per_person_rule_without_maintenance():
    result = per_person_qf([Decimal("18000"), Decimal("6000")], None, 1)
    assert result.value == Decimal("2000.00")
    assert (
        result.formula
        == "(18\u202f000 € + 6\u202f000 €) / 12 / 1 personne = 2\u202f000,00 €"
    )


@pytest.mark.parametrize(
    "incomes, maintenance, persons, message",
    [
        ([], None, 3, "au moins un revenu"),
        ([Decimal("-1")], None, 3, "négatif"),
        ([Decimal("1000")], Decimal("2000"), 3, "dépassent"),
        ([Decimal("1000")], Decimal("-5"), 3, "négatives"),
        ([Decimal("1000")], None, 0, "au moins une personne"),
    ],
)
def test_per_person_rule_refuses_what_it_cannot_use(
    incomes, maintenance, persons, message
):
    with pytest.raises(QfComputationError, match=message):
        per_person_qf(incomes, maintenance, persons)
