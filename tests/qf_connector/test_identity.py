"""Local validation of the allocataire's identity, the QF month and the recipient SIRET."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from home.siret import is_valid_siret
from qf_connector.errors import ErrorKind, InvalidInput
from qf_connector.identity import (
    BirthDate,
    Identity,
    QfMonth,
    coerce_month,
)
from qf_connector.results import PartialDate

TODAY = date(2026, 11, 15)


def build(**overrides):
    values = {
        "birth_name": "Lefebvre",
        "first_names": ["Alexis", "Gérôme", "Jean-Philippe"],
        "sex": "F",
        "birth_date": "1982-12-27",
        "birth_commune": "08480",
        "today": TODAY,
    }
    values.update(overrides)
    return Identity.create(**values)


def test_valid_identity_builds_repeated_first_name_params():
    person = build()
    assert person.birth_country == "99100"  # France is set, never asked
    assert person.query_params() == [
        ("nomNaissance", "Lefebvre"),
        ("prenoms[]", "Alexis"),
        ("prenoms[]", "Gérôme"),
        ("prenoms[]", "Jean-Philippe"),
        ("sexeEtatCivil", "F"),
        ("codeCogInseePaysNaissance", "99100"),
        ("codeCogInseeCommuneNaissance", "08480"),
        ("anneeDateNaissance", "1982"),
        ("moisDateNaissance", "12"),
        ("jourDateNaissance", "27"),
    ]


def test_names_are_normalised():
    person = build(birth_name="  d’Artagnan   de  Castelmore ", first_names="  Anne ")
    assert person.birth_name == "d'Artagnan de Castelmore"
    assert person.first_names == ("Anne",)


@pytest.mark.parametrize("birth_date", ["1982", "1982-12", "1982-12-27"])
def test_birth_date_may_be_partial(birth_date):
    params = dict(build(birth_date=birth_date).query_params())
    assert params["anneeDateNaissance"] == "1982"
    assert ("moisDateNaissance" in params) == (len(birth_date) >= 7)
    assert ("jourDateNaissance" in params) == (len(birth_date) == 10)


def test_born_abroad_sends_the_country_and_no_commune():
    person = build(birth_commune=None, birth_country="99350")
    params = dict(person.query_params())
    assert params["codeCogInseePaysNaissance"] == "99350"
    assert "codeCogInseeCommuneNaissance" not in params


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"birth_name": ""}, "birth_name", "nom de naissance"),
        ({"birth_name": "Dupont2"}, "birth_name", "nom de naissance"),
        ({"birth_name": "Dupont_Martin"}, "birth_name", "nom de naissance"),
        ({"birth_name": "Дюпон"}, "birth_name", "nom de naissance"),
        ({"birth_name": "--"}, "birth_name", "nom de naissance"),
        ({"first_names": []}, "first_names", "prénom"),
        ({"first_names": ["A", "B", "C", "D"]}, "first_names", "3 prénoms"),
        ({"first_names": ["Jean", "P1erre"]}, "first_names", "prénoms"),
        ({"sex": "X"}, "sex", "sexe"),
        ({"birth_date": "27/12/1982"}, "birth_date", "date de naissance"),
        ({"birth_date": "1982-13"}, "birth_date", "mois de naissance"),
        ({"birth_date": "1983-02-29"}, "birth_date", "jour de naissance"),
        ({"birth_date": "1850"}, "birth_date", "année de naissance"),
        ({"birth_date": "2026-12-01"}, "birth_date", "futur"),
        ({"birth_commune": None}, "birth_commune", "commune de naissance"),
        ({"birth_commune": "20000"}, "birth_commune", "commune de naissance"),
        ({"birth_commune": "2C001"}, "birth_commune", "commune de naissance"),
        ({"birth_commune": "7505"}, "birth_commune", "commune de naissance"),
        ({"birth_country": "98100", "birth_commune": None}, "birth_country", "pays"),
        ({"birth_country": "99350"}, "birth_commune", "étranger"),
    ],
)
def test_invalid_input_names_the_field_in_french(overrides, field, words):
    with pytest.raises(InvalidInput) as caught:
        build(**overrides)
    error = caught.value
    assert error.kind is ErrorKind.INVALID_INPUT
    assert error.field == field
    assert words in error.message


def test_leap_day_is_accepted():
    assert build(birth_date="1984-02-29").birth_date == BirthDate(1984, 2, 29)


@pytest.mark.parametrize("code", ["08480", "75056", "2A004", "2B033", "97411", "13055"])
def test_cog_codes_accepted(code):
    assert build(birth_commune=code).birth_commune == code


def test_identity_repr_hides_everything():
    person = build()
    assert "Lefebvre" not in repr(person)
    assert "08480" not in repr(person)


@pytest.mark.parametrize(
    ("month", "ok"),
    [
        ("2026-11", True),
        ("2024-11", True),  # 24 months back
        ("2024-10", False),  # 25 months back
        ("2026-12", False),  # future
        ("2026-13", False),
        ("novembre", False),
    ],
)
def test_qf_month_window(month, ok):
    if ok:
        assert coerce_month(month, TODAY) == QfMonth.parse(month)
    else:
        with pytest.raises(InvalidInput) as caught:
            coerce_month(month, TODAY)
        assert caught.value.field == "month"
        assert "mois" in caught.value.message


def test_no_month_means_current_month():
    assert coerce_month(None, TODAY) is None


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("13002526500013", True),  # DINUM
        ("21750001600019", True),  # Ville de Paris
        ("13002526500014", False),
        ("1300252650001", False),
        ("1300252650001A", False),
        ("35600000000048", True),  # La Poste head office: plain Luhn
        ("35600000049837", True),  # La Poste establishment: digit sum multiple of 5
        ("35600000009075", True),
        ("35600000049838", False),
    ],
)
def test_siret_luhn_and_la_poste(siret, valid):
    assert is_valid_siret(siret) is valid


LATIN_NAME_CHARS = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèêëàâäîïôöûüùçÉÈÇÔ' -")
)


@given(st.text(alphabet=LATIN_NAME_CHARS, min_size=1, max_size=40))
def test_any_name_in_the_api_charset_with_a_letter_is_accepted(name):
    if not any(char.isalpha() for char in name):
        return
    person = build(birth_name=name)
    assert person.birth_name == " ".join(name.split())


@given(st.text(min_size=1, max_size=20), st.sampled_from("0123456789_@#!?/&=;"))
def test_a_name_with_a_forbidden_character_is_refused(prefix, bad):
    with pytest.raises(InvalidInput):
        build(birth_name=f"{prefix}{bad}")


@given(st.one_of(st.none(), st.integers(), st.text(max_size=15)))
def test_partial_date_parsing_never_raises(value):
    parsed = PartialDate.parse(value)
    assert parsed.year is None or parsed.year > 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2016-00-00", PartialDate(2016, None, None)),
        ("0000-00-00", PartialDate(None, None, None)),
        ("2020-05-00", PartialDate(2020, 5, None)),
        ("2015-07-10", PartialDate(2015, 7, 10)),
        ("", PartialDate(None, None, None)),
        (None, PartialDate(None, None, None)),
    ],
)
def test_partial_dates_from_the_api(raw, expected):
    assert PartialDate.parse(raw) == expected
