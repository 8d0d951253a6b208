"""Hostile documents (issue 15, point 8): nested thousands deep, a number of 4,400
digits, a text longer than the column it ends in, a NUL character. `manage.py bareme
validate|import`, `manage.py billing validate|compute` and the admin's barème import
refuse each with the field it is in: in English for the commands (exit code as their
docs say), in French in the admin. The limits live in activities/pricing/reader.py,
their lengths taken from the model fields."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from activities.models import Bareme, BaremeBracket, BaremeColumn, BaremeVersion
from activities.pricing import InvalidBareme
from activities.pricing.reader import LIMITS
from activities.services import import_document

from .examples import EXAMPLES_DIR, example_document
from .test_bareme_admin import errors_of, upload, url

BILLING = Path(__file__).parent / "data" / "billing"
DIGITS = "1" * 4400
LABEL_LENGTH = Bareme._meta.get_field("label").max_length


def bareme():
    return example_document(EXAMPLES_DIR / "bubry-restauration.json")


def nested(depth):
    return "[" * depth + "]" * depth


def hostile_baremes():
    """(name, JSON text, the path named, what the English says, what the French says)"""
    too_long = bareme()
    too_long["label"] = "R" * (LABEL_LENGTH + 1)
    long_bracket = bareme()
    long_bracket["brackets"][1]["label"] = "T" * 101
    long_column = bareme()
    long_column["columns"][0]["when"]["flags"] = ["ccas"] * 50
    long_decimal = bareme()
    long_decimal["brackets"][0]["prices"]["rang_1_2"] = "1" * 30 + ".00"
    nul = bareme()
    nul["label"] = "Restauration\u0000scolaire"
    nul_key = bareme()
    nul_key["brackets"][0]["prices"]["rang\u00001"] = "1.00"
    big_number = json.dumps(bareme()).replace('"1.00"', DIGITS, 1)
    big_text_number = json.dumps(bareme()).replace('"1.00"', f'"{DIGITS}"', 1)
    deep = json.dumps(bareme()).replace('"repas"', nested(100_000), 1)
    shallow_deep = json.dumps(bareme()).replace('"repas"', nested(40), 1)
    nan = json.dumps(bareme()).replace('"1.00"', "NaN", 1)
    return [
        ("deep", deep, None, "nested deeper than", "imbrique plus de"),
        ("deep-40", shallow_deep, None, "nested deeper than", "imbrique plus de"),
        (
            "4400-digit-number",
            big_number,
            "brackets[0].prices.rang_1_2",
            "a number of 4400 characters",
            "nombre de 4400 caractères",
        ),
        (
            "4400-digit-decimal",
            big_text_number,
            "brackets[0].prices.rang_1_2",
            "4400 characters",
            "4400 caractères",
        ),
        (
            "30-digit-decimal",
            json.dumps(long_decimal),
            "brackets[0].prices.rang_1_2",
            "a number of 33 characters, at most 24",
            "nombre de 33 caractères : 24 au plus",
        ),
        ("nan", nan, "brackets[0].prices.rang_1_2", "is not a number", "pas un nombre"),
        (
            "label-too-long",
            json.dumps(too_long),
            "label",
            f"{LABEL_LENGTH + 1} characters, at most {LABEL_LENGTH}",
            f"texte de {LABEL_LENGTH + 1} caractères : {LABEL_LENGTH} au plus",
        ),
        (
            "bracket-label-too-long",
            json.dumps(long_bracket),
            "brackets[1].label",
            "101 characters, at most 100",
            "101 caractères : 100 au plus",
        ),
        (
            "flags-too-long",
            json.dumps(long_column),
            "columns[0].when.flags",
            "298 characters, at most 200",
            "298 caractères : 200 au plus",
        ),
        ("nul", json.dumps(nul), "label", "NUL character", "caractère NUL"),
        (
            "nul-in-a-key",
            json.dumps(nul_key),
            "brackets[0].prices",
            "invalid key",
            "clé",
        ),
    ]


HOSTILE = hostile_baremes()
IDS = [case[0] for case in HOSTILE]


def run(command, *args):
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *[str(arg) for arg in args], stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_the_lengths_come_from_the_model_fields():
    assert LIMITS.columns["label"] == Bareme._meta.get_field("label").max_length
    assert LIMITS.columns["id"] == Bareme._meta.get_field("slug").max_length
    assert LIMITS.columns["brackets[].label"] == (
        BaremeBracket._meta.get_field("label").max_length
    )
    assert LIMITS.columns["columns[].when.flags"] == (
        BaremeColumn._meta.get_field("when_flags").max_length
    )
    assert LIMITS.decimal_length == BaremeBracket._meta.get_field("price").max_length
    assert LIMITS.integer_max == 32767


@pytest.mark.parametrize("action", ["validate", "import"])
@pytest.mark.parametrize(
    ("name", "text", "path", "english", "french"), HOSTILE, ids=IDS
)
@pytest.mark.django_db
def test_the_bareme_command(tmp_path, action, name, text, path, english, french):
    file = tmp_path / "bareme.json"
    file.write_text(text, encoding="utf-8")

    out, error = run("bareme", action, file)

    assert error is not None and error.returncode == 1  # the documented exit code
    assert english in str(error)
    if path is not None:
        assert f"{path}:" in str(error)  # the field, named in English
        problems = [json.loads(line) for line in out.splitlines()]
        assert path in {problem["path"] for problem in problems}
        assert any(french in problem["message"] for problem in problems)
    assert not Bareme.objects.exists() and not BaremeVersion.objects.exists()


@pytest.mark.parametrize(
    ("name", "text", "path", "english", "french"), HOSTILE, ids=IDS
)
def test_the_admin_import(admin_client, name, text, path, english, french):
    response = admin_client.post(
        url("import"), {"document": upload(text.encode("utf-8"))}
    )
    page = errors_of(response)
    assert "n'a pas été importé" in page or "ne peut pas être importé" in page
    assert french in page
    if path is not None:
        assert path in page
    assert not Bareme.objects.exists()


@pytest.mark.django_db
def test_a_document_built_in_python_nested_deep_is_refused_with_its_path():
    document = bareme()
    value = []
    for _ in range(5000):
        value = [value]
    document["unit"] = value
    with pytest.raises(InvalidBareme) as error:
        import_document(document)
    assert [(problem.code, problem.path) for problem in error.value.problems] == [
        ("too_deep", "unit" + "[0]" * (LIMITS.depth - 1))
    ]


def rules():
    return json.loads((BILLING / "cantine.json").read_text(encoding="utf-8"))


def hostile_rules():
    too_long = rules()
    too_long["label"] = "R" * (LABEL_LENGTH + 1)
    nul = rules()
    nul["deliberation"]["reference"] = "2025\u0000041"
    huge_count = rules()
    huge_count["deadline"]["days_before"] = 10**20
    return [
        ("deep", nested(100_000), 2, None, "nested deeper than"),
        (
            "4400-digit-number",
            json.dumps(rules()).replace('"days_before": 2', f'"days_before": {DIGITS}'),
            1,
            "deadline.days_before",
            "a number of 4400 characters",
        ),
        (
            "4400-digit-decimal",
            json.dumps(rules()).replace('"factor": "1.5"', f'"factor": "{DIGITS}"'),
            1,
            "charges.unbooked_present.factor",
            "4400 characters",
        ),
        (
            "label-too-long",
            json.dumps(too_long),
            1,
            "label",
            f"at most {LABEL_LENGTH}",
        ),
        ("nul", json.dumps(nul), 1, "deliberation.reference", "NUL character"),
        ("huge-count", json.dumps(huge_count), 1, "deadline.days_before", None),
    ]


@pytest.mark.parametrize("action", ["validate", "compute"])
@pytest.mark.parametrize(
    ("name", "text", "code", "path", "english"),
    hostile_rules(),
    ids=[case[0] for case in hostile_rules()],
)
def test_the_billing_command(tmp_path, action, name, text, code, path, english):
    file = tmp_path / "rules.json"
    file.write_text(text, encoding="utf-8")
    month = tmp_path / "month.json"
    month.write_text(
        json.dumps({"month": "2025-11", "unit_price": "3.06", "occurrences": []}),
        encoding="utf-8",
    )
    args = [action, file] + ([month] if action == "compute" else [])

    out, error = run("billing", *args)

    assert error is not None and error.returncode == code
    if english is not None:
        assert english in str(error)
    result = json.loads(out)
    if path is not None:
        assert path in {problem["path"] for problem in result["errors"]}
        if english is not None:
            assert f"{path}:" in str(error)
    else:
        assert english in result["error"]


@pytest.mark.parametrize(
    "month",
    [
        nested(100_000),
        '{"month": "2025-11", "unit_price": ' + DIGITS + ', "occurrences": []}',
        '{"month": "2025-11", "unit_price": "' + DIGITS + '", "occurrences": []}',
        '{"month": "2025-11\\u0000", "unit_price": "3.06", "occurrences": []}',
    ],
    ids=["deep", "4400-digit-number", "4400-digit-decimal", "nul"],
)
def test_the_billing_month(tmp_path, month):
    file = tmp_path / "month.json"
    file.write_text(month, encoding="utf-8")
    out, error = run("billing", "compute", BILLING / "cantine.json", file)
    assert error is not None and error.returncode == 2
    assert str(error) == json.loads(out)["error"]
    assert "Traceback" not in str(error)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "name", ["label-too-long", "bracket-label-too-long", "flags-too-long", "nul"]
)
@pytest.mark.django_db
def test_postgresql_gets_no_data_error(tmp_path, name):
    """PostgreSQL refuses what SQLite would store silently (a DataError was the
    traceback): the import is refused before, with the field."""
    _, text, path, english, _ = next(case for case in HOSTILE if case[0] == name)
    file = tmp_path / "bareme.json"
    file.write_text(text, encoding="utf-8")
    _, error = run("bareme", "import", file)
    assert error is not None and error.returncode == 1
    assert f"{path}:" in str(error) and english in str(error)
    assert not Bareme.objects.exists()
