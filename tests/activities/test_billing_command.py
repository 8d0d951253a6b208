"""`manage.py billing validate|compute`, exactly as the billing rules' FORMAT.md says."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.family_portal.conftest import canteen  # noqa: F401 - a fixture, by name

DATA = Path(__file__).parent / "data" / "billing"
CASES = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))


def run(*args):
    """Run the command; returns (parsed stdout, exit code)."""
    out = StringIO()
    try:
        call_command("billing", *[str(arg) for arg in args], stdout=out)
    except CommandError as error:
        return json.loads(out.getvalue()), error.returncode
    return json.loads(out.getvalue()), 0


def write(tmp_path, document, name="month.json"):
    path = tmp_path / name
    path.write_text(
        document if isinstance(document, str) else json.dumps(document),
        encoding="utf-8",
    )
    return path


def test_validate_says_valid():
    assert run("validate", DATA / "cantine.json") == ({"valid": True}, 0)


def test_validate_lists_errors_with_paths_and_exits_1(tmp_path):
    document = json.loads((DATA / "cantine.json").read_text(encoding="utf-8"))
    del document["charges"]["absent"]
    document["deadline"]["days_before"] = -1
    out, code = run("validate", write(tmp_path, document, "rules.json"))
    assert code == 1
    assert set(out) == {"errors"}
    assert {error["path"] for error in out["errors"]} == {
        "charges.absent",
        "deadline.days_before",
    }
    assert all(set(error) == {"path", "message"} for error in out["errors"])


@pytest.mark.parametrize("case", CASES[:8], ids=[case["name"] for case in CASES[:8]])
def test_compute_prints_the_month(tmp_path, case):
    out, code = run(
        "compute", DATA / f"{case['rules']}.json", write(tmp_path, case["month"])
    )
    assert code == 0
    assert list(out) == [
        "month",
        "lines",
        "carried_in",
        "total",
        "invoiced",
        "carried_over",
    ]
    assert out["total"] == case["expect"]["total"]
    for line in out["lines"]:
        assert list(line) == [
            "date",
            "case",
            "quantity",
            "unit_price",
            "amount",
            "explanation",
        ]


def test_compute_with_broken_rules_exits_1(tmp_path):
    rules = write(tmp_path, {"format": "facturation/1"}, "rules.json")
    out, code = run("compute", rules, write(tmp_path, CASES[0]["month"]))
    assert code == 1 and "errors" in out


@pytest.mark.parametrize(
    "month",
    [
        "{not json",
        '{"month": "2025-11", "occurrences": []}',
        '{"month": "2025-11", "unit_price": "3.06", "occurrences": ['
        '{"date": "2025-11-03", "booked": true}, {"date": "2025-11-03", "booked": true}]}',
        '{"month": "2025-11", "unit_price": "3.06", "occurrences": ['
        '{"date": "2025-11-03", "booked": true, "arrival": "25:00"}]}',
        "[" * 100_000,
        '{"month": "2025-11", "unit_price": "' + "9" * 5000 + '", "occurrences": []}',
        '{"month": "2025-11", "unit_price": ' + "9" * 5000 + ', "occurrences": []}',
    ],
    ids=[
        "not-json",
        "no-unit-price",
        "twice-a-date",
        "time-25",
        "deep",
        "long-decimal",
        "huge-int",
    ],
)
def test_a_bad_month_exits_2_with_an_error(tmp_path, month):
    out, code = run("compute", DATA / "cantine.json", write(tmp_path, month))
    assert code == 2
    assert set(out) == {"error"} and out["error"]


def test_an_unreadable_file_exits_2(tmp_path):
    out, code = run("validate", tmp_path / "missing.json")
    assert code == 2 and "cannot read" in out["error"]


# --- import and export: "imported, exported, versioned … from the command line" ------


@pytest.fixture
def service(canteen):  # noqa: F811
    """A service page and a régie the imported rules bill."""
    from family_portal.billing.models import Regie

    return canteen, Regie.objects.create(name="Régie enfance", code="ENF")


def test_import_then_export_gives_the_same_document_back(tmp_path, service):
    document = json.loads((DATA / "cantine.json").read_text(encoding="utf-8"))
    path = write(tmp_path, document, "rules.json")
    out, code = run("import", path, "--activity", "restauration", "--regie", "ENF")
    assert (out, code) == ({"rules": document["id"], "version": 1, "created": True}, 0)
    exported, code = run("export", document["id"])
    assert code == 0 and exported == document


def test_an_import_of_a_known_id_after_a_billed_month_is_a_new_version(
    tmp_path, service
):
    from family_portal.billing.models import RulesVersion

    document = json.loads((DATA / "cantine.json").read_text(encoding="utf-8"))
    run(
        "import",
        write(tmp_path, document, "rules.json"),
        "--activity",
        "restauration",
        "--regie",
        "ENF",
    )
    RulesVersion.objects.update(locked=True)  # version 1 billed a month
    document["minimum_invoice"] = "10.00"
    out, code = run("import", write(tmp_path, document, "v2.json"))
    assert (out, code) == ({"rules": document["id"], "version": 2, "created": False}, 0)
    first, _ = run("export", document["id"], "--version", 1)
    latest, _ = run("export", document["id"])
    assert (first["minimum_invoice"], latest["minimum_invoice"]) == ("5.00", "10.00")


def test_an_import_of_broken_rules_exits_1_and_stores_nothing(tmp_path, service):
    from family_portal.billing.models import ServiceRules

    document = json.loads((DATA / "cantine.json").read_text(encoding="utf-8"))
    del document["charges"]["absent"]
    out, code = run(
        "import",
        write(tmp_path, document, "rules.json"),
        "--activity",
        "restauration",
        "--regie",
        "ENF",
    )
    assert code == 1 and out["errors"][0]["path"] == "charges.absent"
    assert not ServiceRules.objects.exists()


@pytest.mark.parametrize(
    "arguments",
    [
        [],  # new rules without their service and régie
        ["--activity", "nowhere", "--regie", "ENF"],
        ["--activity", "restauration", "--regie", "NOPE"],
    ],
    ids=["no-service", "unknown-service", "unknown-regie"],
)
def test_an_import_naming_nothing_known_exits_2(tmp_path, service, arguments):
    out, code = run("import", DATA / "cantine.json", *arguments)
    assert code == 2 and set(out) == {"error"} and out["error"]


def test_an_export_of_an_unknown_id_exits_2(db):
    out, code = run("export", "nothing-here")
    assert code == 2 and "nothing-here" in out["error"]
