"""`manage.py bareme validate|quote|import|export`, through call_command."""

import json

import pytest
from django.core.management import CommandError, call_command

from activities.models import BaremeVersion

from .examples import (
    EXAMPLE_CASES,
    EXAMPLE_FILES,
    case_id,
    example_document,
    situation_args,
)


def run(*args):
    """Run the command; returns (stdout, error or None)."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("bareme", *[str(arg) for arg in args], stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def write(tmp_path, document, name="bareme.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=case_id)
def test_validate_accepts_every_example(path):
    out, error = run("validate", path)
    assert error is None
    assert json.loads(out) == {"valid": True, "bareme": example_document(path)["id"]}


@pytest.mark.parametrize(("path", "number", "case"), EXAMPLE_CASES, ids=case_id)
def test_quote_gives_every_example_case(path, number, case):
    out, error = run("quote", path, *situation_args(case["situation"]))
    result = json.loads(out)
    if case.get("error"):
        assert error is not None and error.returncode == 2
        assert set(result) == {"error"}
        return
    assert error is None, out
    document = example_document(path)
    assert result["amount"] == case["amount"]
    assert result["unit"] == document["unit"]
    assert result["bareme"] == document["id"]
    assert result["deliberation"] == document["deliberation"]["reference"]
    assert set(result) == {
        "amount",
        "unit",
        "bareme",
        "deliberation",
        "column",
        "bracket",
        "explanation",
    }
    assert result["explanation"]


def test_quote_output_matches_the_contract(tmp_path):
    path = [p for p in EXAMPLE_FILES if p.stem == "fay-aux-loges-restauration"][0]
    out, error = run("quote", path, "--qf", "850")
    assert error is None
    assert json.loads(out) == {
        "amount": "3.06",
        "unit": "repas",
        "bareme": "fay-aux-loges-restauration",
        "deliberation": "délibération tarifs restauration",
        "column": None,
        "bracket": None,
        "explanation": [
            "Quotient familial retenu : 850 €",
            "850 × 0,36 % = 3,06 €",
            "Tarif appliqué : 3,06 € par repas",
        ],
    }


def test_quote_a_situation_no_column_matches(tmp_path):
    document = example_document(
        [p for p in EXAMPLE_FILES if p.stem == "wavrin-centre-loisirs"][0]
    )
    document["columns"] = document["columns"][:1]
    for bracket in document["brackets"]:
        bracket["prices"] = {"rang_1": bracket["prices"]["rang_1"]}
    out, error = run(
        "quote", write(tmp_path, document), "--qf", "500", "--child-rank", "2"
    )
    assert error.returncode == 2
    assert json.loads(out)["error"].startswith("Aucune colonne du barème")


def test_validate_names_every_problem_one_json_line_each(tmp_path):
    document = example_document(
        [p for p in EXAMPLE_FILES if p.stem == "champcevinel-restauration"][0]
    )
    document["brackets"][1]["min"] = "600"  # overlaps the first bracket
    document["brackets"][2]["price"] = "-3.40"
    document["deliberation"]["reference"] = ""
    out, error = run("validate", write(tmp_path, document))
    assert error.returncode == 1
    assert "3 problems" in str(error)
    problems = [json.loads(line) for line in out.splitlines()]
    assert {problem["code"] for problem in problems} == {
        "overlap",
        "negative_price",
        "missing_deliberation",
    }
    assert all(problem["message"] for problem in problems)


def test_validate_a_missing_file(tmp_path):
    out, error = run("validate", tmp_path / "absent.json")
    assert error.returncode == 1
    assert "Cannot read" in str(error)
    assert out == ""


def test_validate_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "bareme.json"
    path.write_text("{ pas du json", encoding="utf-8")
    _, error = run("validate", path)
    assert error.returncode == 1
    assert "not a JSON document" in str(error)


def test_quote_refuses_an_invalid_barème(tmp_path):
    document = example_document(EXAMPLE_FILES[0])
    document["valid_until"] = "2000-01-01"
    out, error = run("quote", write(tmp_path, document), "--qf", "500")
    assert error.returncode == 1
    assert json.loads(out.splitlines()[0])["code"] == "dates"


@pytest.mark.parametrize("qf", ["douze", "12,5", "1e3"])
def test_quote_refuses_a_malformed_qf(qf):
    _, error = run("quote", EXAMPLE_FILES[0], "--qf", qf)
    assert error.returncode == 1
    assert "--qf must be a decimal number" in str(error)


def test_quote_needs_a_qf_or_no_qf():
    with pytest.raises(CommandError):
        call_command("bareme", "quote", str(EXAMPLE_FILES[0]))


@pytest.mark.django_db
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=case_id)
def test_import_then_export_gives_the_same_document(path):
    document = example_document(path)
    out, error = run("import", path)
    assert error is None
    assert json.loads(out) == {"bareme": document["id"], "version": 1, "created": True}
    out, error = run("export", document["id"])
    assert error is None
    assert json.loads(out) == document


@pytest.mark.django_db
def test_import_of_an_existing_id_makes_a_new_version(tmp_path):
    path = EXAMPLE_FILES[0]
    document = example_document(path)
    run("import", path)
    changed = dict(document, label="Restauration scolaire — repas (rectifié)")
    out, error = run("import", write(tmp_path, changed))
    assert error is None
    assert json.loads(out) == {"bareme": document["id"], "version": 2, "created": False}
    assert json.loads(run("export", document["id"])[0]) == changed
    assert json.loads(run("export", document["id"], "--version", 1)[0]) == document


@pytest.mark.django_db
def test_import_refuses_an_invalid_document(tmp_path):
    document = example_document(EXAMPLE_FILES[0])
    del document["brackets"][1]
    out, error = run("import", write(tmp_path, document))
    assert error.returncode == 1
    assert json.loads(out.splitlines()[0])["code"] == "gap"
    assert not BaremeVersion.objects.exists()


@pytest.mark.django_db
def test_export_an_unknown_barème():
    out, error = run("export", "inconnu")
    assert error.returncode == 1
    assert "No barème with id 'inconnu'" in str(error)
    assert out == ""


@pytest.mark.django_db
def test_export_an_unknown_version():
    run("import", EXAMPLE_FILES[0])
    _, error = run("export", example_document(EXAMPLE_FILES[0])["id"], "--version", 9)
    assert error.returncode == 1
