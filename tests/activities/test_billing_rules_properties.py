"""Properties of the billing engine over generated months (hypothesis)."""

import calendar
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from activities.billing_rules import (
    Month,
    Occurrence,
    compute_month,
    deadline_for,
    parse_rules,
)
from activities.billing_rules.model import CASES, LINE_CASES, to_cents

DATA = Path(__file__).parent / "data" / "billing"
RULES = {
    path.stem: parse_rules(json.loads(path.read_text(encoding="utf-8")))
    for path in DATA.glob("*.json")
    if path.stem != "cases"
}
ATTENDANCE = st.sampled_from([None, "present", "absent", "absent_justified", "closed"])
money = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False)


@st.composite
def clock_span(draw):
    start = draw(st.integers(min_value=6 * 60, max_value=17 * 60))
    end = draw(st.integers(min_value=start, max_value=20 * 60))
    return time(start // 60, start % 60), time(end // 60, end % 60)


@st.composite
def occurrence(draw, day):
    booked = draw(st.booleans())
    booked_from, booked_to = draw(clock_span())
    arrival, departure = draw(clock_span())
    cancelled_at = None
    if booked and draw(st.booleans()):
        cancelled_at = datetime.combine(day, time(12, 0)) - timedelta(
            minutes=draw(st.integers(min_value=0, max_value=20 * 24 * 60))
        )
    return Occurrence(
        date=day,
        booked=booked,
        cancelled_at=cancelled_at,
        attendance=draw(ATTENDANCE),
        booked_from=booked_from,
        booked_to=booked_to,
        arrival=arrival,
        departure=departure,
    )


@st.composite
def months(draw):
    year = draw(st.integers(min_value=2024, max_value=2030))
    number = draw(st.integers(min_value=1, max_value=12))
    days = draw(
        st.sets(
            st.integers(min_value=1, max_value=calendar.monthrange(year, number)[1])
        )
    )
    occurrences = tuple(
        draw(occurrence(date(year, number, day))) for day in sorted(days)
    )
    return Month(
        year=year,
        month=number,
        unit_price=draw(money),
        carried_in=to_cents(draw(money)),
        occurrences=occurrences,
    )


@settings(max_examples=300, deadline=None)
@given(rules=st.sampled_from(sorted(RULES)), month=months())
def test_lines_have_a_case_and_the_total_is_their_sum(rules, month):
    rules = RULES[rules]
    result = compute_month(rules, month)
    assert all(line.case in LINE_CASES for line in result.lines)
    assert all(
        line.amount == to_cents(line.unit_price * line.quantity)
        for line in result.lines
    )
    assert [line.date for line in result.lines] == sorted(
        line.date for line in result.lines
    )
    assert (
        result.total
        == sum((line.amount for line in result.lines), Decimal(0)) + month.carried_in
    )
    if result.total == 0:
        assert (result.invoiced, result.carried_over) == (False, 0)
    elif result.total < rules.minimum_invoice:
        assert (result.invoiced, result.carried_over) == (False, result.total)
    else:
        assert (result.invoiced, result.carried_over) == (True, 0)
    assert all(line.explanation for line in result.lines)


@settings(max_examples=300, deadline=None)
@given(rules=st.sampled_from(sorted(RULES)), month=months())
def test_each_occurrence_gives_at_most_its_line_and_a_penalty(rules, month):
    rules = RULES[rules]
    if rules.billing != "per_occurrence":
        return
    result = compute_month(rules, month)
    by_day = {}
    for line in result.lines:
        by_day.setdefault(line.date, []).append(line.case)
    for occurrence in month.occurrences:
        cases = by_day.get(occurrence.date, [])
        silent = not occurrence.booked and occurrence.attendance not in (
            "present",
            "closed",
        )
        assert cases == [] if silent else cases[0] in CASES
        assert cases[1:] in ([], ["late_pickup"])


@settings(max_examples=200, deadline=None)
@given(
    rules=st.sampled_from(sorted(RULES)),
    month=months(),
    late_by=st.integers(min_value=0, max_value=1),
)
def test_a_cancellation_at_the_deadline_is_in_time_and_a_minute_later_is_late(
    rules, month, late_by
):
    rules = RULES[rules]
    if rules.billing != "per_occurrence" or not month.occurrences:
        return
    first = month.occurrences[0]
    cancelled = Occurrence(
        date=first.date,
        booked=True,
        cancelled_at=deadline_for(rules.deadline, first.date)
        + timedelta(minutes=late_by),
        attendance=None,
        booked_from=time(16, 30),
        booked_to=time(18, 0),
    )
    result = compute_month(
        rules,
        Month(month.year, month.month, month.unit_price, occurrences=(cancelled,)),
    )
    assert result.lines[0].case == (
        "cancelled_late" if late_by else "cancelled_in_time"
    )
