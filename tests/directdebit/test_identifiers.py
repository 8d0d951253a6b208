"""IBANs, BICs and creditor identifiers: what schwifty accepts, in French for parents."""

import pytest

from family_portal.directdebit.identifiers import (
    InvalidAccount,
    check_account,
    creditor_id_problem,
    masked_iban,
    new_mandate_reference,
)


def test_a_french_iban_is_kept_compact_with_its_bank_s_bic():
    account = check_account("fr76 3000 6000 0112 3456 7890 189")
    assert account.iban == "FR7630006000011234567890189"
    assert account.bic == "AGRIFRPPXXX"


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("", "Indiquez l'IBAN"),
        ("FR76 3000 6000 0112 3456 7890 188", "clé de contrôle ne correspond pas"),
        ("FR76 3000 6000 0112 3456 7890", "27 pour un IBAN français"),
        ("XX76 3000 6000 0112 3456 7890 189", "n'est pas un pays"),
        ("3000 6000 0112 3456 7890 189", "commence par deux lettres"),
        ("BR18 0036 0305 0000 1000 9795 493C 1", "hors de la zone SEPA"),
    ],
)
def test_a_wrong_iban_gets_a_french_message(iban, message):
    with pytest.raises(InvalidAccount, match=message):
        check_account(iban)


def test_a_typed_bic_is_checked_and_must_be_of_the_iban_s_country():
    assert check_account("FR7630006000011234567890189", "agrifrpp").bic == "AGRIFRPP"
    with pytest.raises(InvalidAccount, match="8 ou 11 lettres"):
        check_account("FR7630006000011234567890189", "AGRI")
    with pytest.raises(InvalidAccount, match="autre pays"):
        check_account("FR7630006000011234567890189", "COBADEFFXXX")


def test_outside_the_eea_a_bic_is_required_when_it_cannot_be_derived():
    with pytest.raises(InvalidAccount, match="indiquez le BIC"):
        check_account("CH9300762011623852957")
    assert check_account("CH9300762011623852957", "UBSWCHZH80A").bic == "UBSWCHZH80A"


def test_the_iban_is_masked_but_its_last_four_characters():
    masked = masked_iban("FR7630006000011234567890189")
    assert masked.endswith(" 0189")
    assert "FR76" not in masked and "3000" not in masked
    assert masked.replace(" ", "").count("•") == 23


@pytest.mark.parametrize(
    "ics", ["FR72ZZZ123456", "DE98ZZZ09999999999", "fr72 zzz 123456"]
)
def test_a_well_formed_creditor_identifier_passes(ics):
    assert creditor_id_problem(ics) is None


@pytest.mark.parametrize(
    ("ics", "problem"),
    [
        ("FR73ZZZ123456", "check digits"),
        ("FR72ZZZ1234567", "13 characters"),
        ("123456", "not a SEPA creditor identifier"),
    ],
)
def test_a_bad_creditor_identifier_is_named(ics, problem):
    assert problem in creditor_id_problem(ics)


def test_mandate_references_fit_the_sepa_rules():
    import datetime
    import re

    references = {
        new_mandate_reference(123, datetime.date(2026, 12, 1)) for _ in range(200)
    }
    assert len(references) == 200
    for reference in references:
        assert len(reference) <= 35
        assert re.fullmatch(r"[A-Za-z0-9+?/\-:().,' ]+", reference)
