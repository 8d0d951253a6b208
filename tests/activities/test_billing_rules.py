"""The billing-rules engine (``facturation/1``): the examples, the deadlines, the cases."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from activities.billing_rules import (
    Deadline,
    InvalidRules,
    MissingTimes,
    MonthError,
    compute_month,
    deadline_for,
    is_in_time,
    parse_month,
    parse_rules,
    slot_count,
    validate_rules,
)
from activities.service_calendar import public_holidays

DATA = Path(__file__).parent / "data" / "billing"
CASES = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))


def rules_document(name):
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def bill(case):
    return compute_month(
        parse_rules(rules_document(case["rules"])), parse_month(case["month"])
    )


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_every_example_is_billed_as_its_reglement_says(case):
    result = bill(case).to_dict()
    expected = case["expect"]
    assert [
        [
            line["date"],
            line["case"],
            line["quantity"],
            line["unit_price"],
            line["amount"],
        ]
        for line in result["lines"]
    ] == expected["lines"]
    assert result["total"] == expected["total"]
    assert result["invoiced"] is expected["invoiced"]
    assert result["carried_over"] == expected["carried_over"]
    assert result["month"] == case["month"]["month"]
    for line in result["lines"]:
        assert line["explanation"].endswith(".")
        assert (
            line["date"][8:] + "/" in line["explanation"] or line["case"] == "forfait"
        )


def test_there_are_at_least_thirty_examples():
    assert len(CASES) >= 30
    assert {case["rules"] for case in CASES} == {
        path.stem for path in DATA.glob("*.json") if path.stem != "cases"
    }


def test_explanations_name_the_deadline_in_french():
    case = next(
        c for c in CASES if c["name"].startswith("a cancellation one minute after")
    )
    (line,) = bill(case).lines
    assert line.explanation == (
        "13/11/2025 : réservation annulée le 11/11/2025 à 00:00, après la date limite "
        "du 10/11/2025 à 23:59 : tarif 3,06 €."
    )


def test_explanations_of_waiting_days_and_time_slots():
    waiting = next(c for c in CASES if c["name"].startswith("the first day of"))
    first, second, _ = bill(waiting).lines
    assert "jour de carence 1 sur 1" in first.explanation
    assert second.explanation.endswith("certificat médical : non facturé.")
    late = next(c for c in CASES if c["name"].startswith("a late pick-up adds"))
    day, penalty = bill(late).lines
    assert "4 tranches de 30 min de présence (16:35–18:40)" in day.explanation
    assert penalty.explanation == (
        "12/11/2025 : départ à 18:40, après l'heure de fermeture (18:30) : "
        "pénalité forfaitaire "
        "× 5,00 € = 5,00 €."
    )


# --- public holidays and deadlines --------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026, 2027, 2030])
def test_eleven_public_holidays_and_two_more_in_alsace_moselle(year):
    metropole = public_holidays("metropole", year)
    alsace = public_holidays("alsace_moselle", year)
    assert len(metropole) == 11
    assert set(alsace) - set(metropole) == {
        next(d for d, name in alsace.items() if "Vendredi saint" in name),
        date(year, 12, 26),
    }
    assert date(year, 7, 14) in metropole and date(year, 11, 11) in metropole


def test_good_friday_moves_a_working_day_deadline_in_alsace_moselle_only():
    # Tuesday 7 April 2026: Monday 6 is Easter Monday, Friday 3 is Good Friday.
    metropole = Deadline(1, time(18, 0), "working_days", "metropole")
    alsace = Deadline(1, time(18, 0), "working_days", "alsace_moselle")
    assert deadline_for(metropole, date(2026, 4, 7)) == datetime(2026, 4, 3, 18, 0)
    assert deadline_for(alsace, date(2026, 4, 7)) == datetime(2026, 4, 2, 18, 0)


def test_saint_stephen_in_alsace_moselle():
    rule = Deadline(1, time(10, 0), "working_days", "alsace_moselle")
    # Monday 28 December 2026: Saturday 26 is a holiday anyway, Friday 25 is Christmas.
    assert deadline_for(rule, date(2026, 12, 28)) == datetime(2026, 12, 24, 10, 0)
    # Tuesday 27 December 2022: Monday 26 is a holiday only there.
    assert deadline_for(rule, date(2022, 12, 27)) == datetime(2022, 12, 23, 10, 0)
    metropole = Deadline(1, time(10, 0), "working_days", "metropole")
    assert deadline_for(metropole, date(2022, 12, 27)) == datetime(2022, 12, 26, 10, 0)


@pytest.mark.parametrize(
    ("rule", "day", "deadline"),
    [
        # Two working days before at 23:59, a Monday: the Thursday before.
        (
            Deadline(2, time(23, 59), "working_days"),
            date(2025, 11, 17),
            datetime(2025, 11, 13, 23, 59),
        ),
        # The day before at 10:00, a Monday: Sunday in calendar days.
        (
            Deadline(1, time(10, 0), "calendar_days"),
            date(2025, 11, 17),
            datetime(2025, 11, 16, 10, 0),
        ),
        # Seven calendar days before at noon.
        (
            Deadline(7, time(12, 0), "calendar_days"),
            date(2025, 11, 19),
            datetime(2025, 11, 12, 12, 0),
        ),
        # The same day.
        (
            Deadline(0, time(9, 0), "working_days"),
            date(2025, 11, 17),
            datetime(2025, 11, 17, 9, 0),
        ),
        # One working day before a day after a public holiday (Wednesday 12 November).
        (
            Deadline(1, time(10, 0), "working_days"),
            date(2025, 11, 12),
            datetime(2025, 11, 10, 10, 0),
        ),
    ],
)
def test_deadline_forms(rule, day, deadline):
    assert deadline_for(rule, day) == deadline
    minute = timedelta(minutes=1)
    assert is_in_time(rule, day, deadline - minute)
    assert is_in_time(rule, day, deadline)
    assert is_in_time(rule, day, deadline.replace(second=59))  # within the minute
    assert not is_in_time(rule, day, deadline + minute)


def test_aware_moments_are_read_in_paris_time():
    from zoneinfo import ZoneInfo

    rule = Deadline(1, time(10, 0), "calendar_days")
    utc = ZoneInfo("UTC")
    # 10:00 in Paris in winter is 09:00 UTC.
    assert is_in_time(
        rule, date(2025, 11, 17), datetime(2025, 11, 16, 9, 0, tzinfo=utc)
    )
    assert not is_in_time(
        rule, date(2025, 11, 17), datetime(2025, 11, 16, 9, 1, tzinfo=utc)
    )


@pytest.mark.parametrize(
    ("rounding", "tolerance", "total", "slots"),
    [
        ("started", 0, 0, 0),
        ("started", 0, 1, 1),
        ("started", 0, 30, 1),
        ("started", 0, 31, 2),
        ("started", 5, 35, 1),
        ("started", 5, 36, 2),
        ("started", 5, 4, 0),
        ("nearest", 0, 14, 0),
        ("nearest", 0, 15, 1),
        ("nearest", 0, 44, 1),
        ("nearest", 0, 45, 2),
    ],
)
def test_slot_count(rounding, tolerance, total, slots):
    assert slot_count(30, rounding, tolerance, total) == slots


# --- documents ------------------------------------------------------------------------


def test_rules_report_every_problem_with_its_path():
    document = rules_document("cantine")
    del document["charges"]["absent"]
    document["charges"]["closed"] = {"factor": "0", "amount": "1.00"}
    document["deadline"]["at"] = "24:00"
    document["deadline"]["count"] = "jours"
    document["minimum_invoice"] = 5
    document["colour"] = "blue"
    problems = {problem.path: problem.message for problem in validate_rules(document)}
    assert set(problems) == {
        "charges.absent",
        "charges.closed",
        "deadline.at",
        "deadline.count",
        "minimum_invoice",
        "colour",
    }
    assert problems["charges.absent"] == "champ obligatoire manquant."
    assert "exactement un" in problems["charges.closed"]


def test_every_example_rules_document_is_valid():
    for path in DATA.glob("*.json"):
        if path.stem != "cases":
            assert validate_rules(rules_document(path.stem)) == []


def test_a_negative_factor_and_an_unknown_format_are_refused():
    document = rules_document("cantine")
    document["format"] = "facturation/2"
    document["charges"]["present"] = {"factor": "-1"}
    with pytest.raises(InvalidRules) as error:
        parse_rules(document)
    assert {p.path for p in error.value.problems} == {
        "format",
        "charges.present.factor",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit_price": None}, "unit_price"),
        ({"month": "2025-13"}, "YYYY-MM"),
        ({"unit_price": 3.06}, "decimal string"),
        (
            {
                "occurrences": [
                    {"date": "2025-11-03", "booked": True, "arrival": "25:00"}
                ]
            },
            "HH:MM",
        ),
        (
            {
                "occurrences": [
                    {"date": "2025-11-03", "booked": True},
                    {"date": "2025-11-03", "booked": False},
                ]
            },
            "two occurrences on 2025-11-03",
        ),
        ({"occurrences": [{"date": "2025-12-01", "booked": True}]}, "not in the month"),
        (
            {
                "occurrences": [
                    {
                        "date": "2025-11-03",
                        "booked": False,
                        "cancelled_at": "2025-11-01T10:00",
                    }
                ]
            },
            "never booked",
        ),
        (
            {
                "occurrences": [
                    {"date": "2025-11-03", "booked": True, "attendance": "sick"}
                ]
            },
            "attendance",
        ),
        (
            {
                "occurrences": [
                    {
                        "date": "2025-11-03",
                        "booked": True,
                        "arrival": "18:00",
                        "departure": "17:00",
                    }
                ]
            },
            "before",
        ),
    ],
)
def test_a_month_that_breaks_its_own_format(change, message):
    month = {
        "month": "2025-11",
        "unit_price": "3.06",
        "carried_in": "0.00",
        "occurrences": [],
    }
    month.update(change)
    if month["unit_price"] is None:
        del month["unit_price"]
    with pytest.raises(MonthError, match=message):
        parse_month(month)


def test_billing_by_time_needs_the_times_of_the_case():
    rules = parse_rules(rules_document("periscolaire-soir"))
    month = parse_month(
        {
            "month": "2025-11",
            "unit_price": "1.20",
            "occurrences": [
                {"date": "2025-11-03", "booked": True, "attendance": "present"}
            ],
        }
    )
    with pytest.raises(MissingTimes, match="arrival and departure"):
        compute_month(rules, month)


def test_carried_in_defaults_to_nothing():
    month = parse_month({"month": "2025-11", "unit_price": "3.06", "occurrences": []})
    assert month.carried_in == Decimal("0.00")
