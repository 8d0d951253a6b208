"""`manage.py billing validate|compute`, exactly as the billing rules' FORMAT.md says."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

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
