"""Reading ``facturation/1`` rules and a month to bill.

The rules are a council's document: every problem is reported at once, in French for agents,
with its path (``charges.absent``), like a barème's. A month is what the portal itself (or an
operator at the command line) hands the engine: the first thing wrong with it is a
``MonthError`` in English, as command errors are.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from activities.pricing.errors import Problem
from activities.pricing.model import Deliberation
from activities.pricing.reader import DECIMAL_RE, ID_RE, _Reader

from .model import (
    ATTENDANCES,
    BILLING_MODES,
    CASES,
    CHARGE_KINDS,
    DEADLINE_COUNTS,
    FORMAT,
    HOLIDAY_CALENDARS,
    LATE_PICKUP_UNITS,
    SLOT_ROUNDINGS,
    BillingRules,
    Charge,
    Deadline,
    LatePickup,
    Month,
    Occurrence,
    Slots,
)

TIME_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
DATETIME_RE = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})")
# An amount a month of one service can carry: PayFiP's own ceiling for a payment.
MAX_AMOUNT = Decimal(100_000)
MONTH_RE = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
TOP_LEVEL_KEYS = (
    "format",
    "id",
    "label",
    "deliberation",
    "billing",
    "deadline",
    "charges",
    "slots",
    "late_pickup",
    "minimum_invoice",
)
OCCURRENCE_KEYS = (
    "date",
    "booked",
    "cancelled_at",
    "attendance",
    "booked_from",
    "booked_to",
    "arrival",
    "departure",
)


class InvalidRules(ValueError):
    """A billing-rules document with problems; nothing can be billed from it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class MonthError(ValueError):
    """A month document that breaks its own format (English, for the operator)."""


class _RulesReader(_Reader):
    def clock(self, value: Any, path: str) -> time | None:
        if isinstance(value, str) and TIME_RE.fullmatch(value):
            return time.fromisoformat(value)
        self.problem(
            "type",
            path,
            f"doit être une heure HH:MM, par exemple « 23:59 » ({value!r}).",
        )
        return None

    def amount(self, value: Any, path: str) -> Decimal | None:
        number = self.decimal(value, path)
        if number is not None and number < 0:
            self.problem("negative", path, "ne peut pas être négatif.")
            return None
        return number

    def count(self, value: Any, path: str, minimum: int = 0) -> int | None:
        return self.integer(value, path, minimum=minimum)


def parse_rules(document: Any) -> BillingRules:
    """Read a ``facturation/1`` document; raise ``InvalidRules`` listing every problem."""
    reader = _RulesReader()
    # Beyond the limits (too deep, too long, NUL…), nothing else is read.
    rules = _read_rules(reader, document) if reader.screen(document) else None
    if reader.problems:
        raise InvalidRules(reader.problems)
    assert rules is not None  # noqa: S101 - no problem means every part was read
    return rules


def validate_rules(document: Any) -> list[Problem]:
    try:
        parse_rules(document)
    except InvalidRules as error:
        return error.problems
    return []


def parse_deadline(value: Any) -> Deadline:
    """Read the ``deadline`` object alone (a service's booking rules before its whole
    billing rules exist); raise ``InvalidRules`` with paths under ``deadline``."""
    reader = _RulesReader()
    deadline = _read_deadline(reader, value)
    if reader.problems:
        raise InvalidRules(reader.problems)
    return deadline


def _read_rules(reader: _RulesReader, document: Any) -> BillingRules | None:
    doc = reader.mapping(
        document,
        "",
        required=(
            "format",
            "id",
            "label",
            "deliberation",
            "billing",
            "deadline",
            "charges",
            "minimum_invoice",
        ),
        optional=("slots", "late_pickup"),
    )
    if doc is None:
        return None
    if "format" in doc and doc["format"] != FORMAT:
        reader.problem(
            "format", "format", f"doit valoir « {FORMAT} » ({doc['format']!r})."
        )
    rules_id = reader.text(doc.get("id"), "id") if "id" in doc else None
    if rules_id is not None and not ID_RE.fullmatch(rules_id):
        reader.problem(
            "type", "id", "ne peut contenir que des lettres, chiffres, « - » et « _ »."
        )
    label = reader.text(doc.get("label"), "label") if "label" in doc else None
    deliberation = (
        _read_deliberation(reader, doc["deliberation"])
        if "deliberation" in doc
        else None
    )
    billing = (
        reader.choice(doc["billing"], "billing", BILLING_MODES)
        if "billing" in doc
        else None
    )
    deadline = _read_deadline(reader, doc["deadline"]) if "deadline" in doc else None
    charges, waiting = (
        _read_charges(reader, doc["charges"]) if "charges" in doc else (None, None)
    )
    slots = _read_slots(reader, doc.get("slots"))
    late_pickup = _read_late_pickup(reader, doc.get("late_pickup"))
    minimum = (
        reader.amount(doc["minimum_invoice"], "minimum_invoice")
        if "minimum_invoice" in doc
        else None
    )
    if reader.problems:
        return None
    return BillingRules(
        id=rules_id,
        label=label,
        deliberation=deliberation,
        billing=billing,
        deadline=deadline,
        charges=charges,
        justified_waiting_days=waiting,
        slots=slots,
        late_pickup=late_pickup,
        minimum_invoice=minimum,
    )


def _read_deliberation(reader: _RulesReader, value: Any) -> Deliberation | None:
    doc = reader.mapping(
        value, "deliberation", required=("reference", "date"), optional=("url",)
    )
    if doc is None:
        return None
    reference = (
        reader.text(doc["reference"], "deliberation.reference")
        if "reference" in doc
        else None
    )
    voted = reader.iso_date(doc["date"], "deliberation.date") if "date" in doc else None
    url = reader.text(doc.get("url"), "deliberation.url", nullable=True)
    if url is not None and not url.startswith(("https://", "http://")):
        reader.problem(
            "type", "deliberation.url", "doit être une adresse web (https://…)."
        )
    return Deliberation(reference=reference or "", date=voted, url=url)


def _read_deadline(reader: _RulesReader, value: Any) -> Deadline | None:
    doc = reader.mapping(
        value, "deadline", required=("days_before", "at", "count", "holidays")
    )
    if doc is None:
        return None
    days = (
        reader.count(doc["days_before"], "deadline.days_before")
        if "days_before" in doc
        else None
    )
    if days is not None and days > 60:
        reader.problem(
            "range", "deadline.days_before", "ne peut pas dépasser 60 jours."
        )
    at = reader.clock(doc["at"], "deadline.at") if "at" in doc else None
    count = (
        reader.choice(doc["count"], "deadline.count", DEADLINE_COUNTS)
        if "count" in doc
        else None
    )
    calendar = (
        reader.choice(doc["holidays"], "deadline.holidays", HOLIDAY_CALENDARS)
        if "holidays" in doc
        else None
    )
    if None in (days, at, count, calendar):
        return None
    return Deadline(days_before=days, at=at, count=count, holidays=calendar)


def _read_charges(reader: _RulesReader, value: Any) -> tuple[dict | None, int | None]:
    doc = reader.mapping(
        value, "charges", required=CASES, optional=("justified_waiting_days",)
    )
    if doc is None:
        return None, None
    charges = {}
    for case in CASES:
        if case in doc:
            charge = _read_charge(reader, doc[case], f"charges.{case}")
            if charge is not None:
                charges[case] = charge
    waiting = reader.count(
        doc.get("justified_waiting_days", 0), "charges.justified_waiting_days"
    )
    return charges, waiting


def _read_charge(reader: _RulesReader, value: Any, path: str) -> Charge | None:
    doc = reader.mapping(value, path, optional=CHARGE_KINDS)
    if doc is None:
        return None
    kinds = [kind for kind in CHARGE_KINDS if kind in doc]
    if len(kinds) != 1:
        reader.problem(
            "charge",
            path,
            "doit donner exactement un de « factor », « amount » ou « surcharge ».",
        )
        return None
    kind = kinds[0]
    number = (
        reader.decimal(doc[kind], f"{path}.{kind}")
        if kind == "surcharge"
        else reader.amount(doc[kind], f"{path}.{kind}")
    )
    return None if number is None else Charge(kind, number)


def _read_slots(reader: _RulesReader, value: Any) -> Slots | None:
    if value is None:
        return None
    doc = reader.mapping(
        value,
        "slots",
        required=("minutes", "rounding"),
        optional=("tolerance_minutes",),
    )
    if doc is None:
        return None
    minutes = (
        reader.count(doc["minutes"], "slots.minutes", minimum=1)
        if "minutes" in doc
        else None
    )
    rounding = (
        reader.choice(doc["rounding"], "slots.rounding", SLOT_ROUNDINGS)
        if "rounding" in doc
        else None
    )
    tolerance = reader.count(doc.get("tolerance_minutes", 0), "slots.tolerance_minutes")
    if minutes is not None and minutes > 24 * 60:
        reader.problem("range", "slots.minutes", "ne peut pas dépasser une journée.")
    if None in (minutes, rounding, tolerance):
        return None
    return Slots(minutes=minutes, rounding=rounding, tolerance_minutes=tolerance)


def _read_late_pickup(reader: _RulesReader, value: Any) -> LatePickup | None:
    if value is None:
        return None
    doc = reader.mapping(value, "late_pickup", required=("after", "amount", "per"))
    if doc is None:
        return None
    after = reader.clock(doc["after"], "late_pickup.after") if "after" in doc else None
    amount = (
        reader.amount(doc["amount"], "late_pickup.amount") if "amount" in doc else None
    )
    per = (
        reader.choice(doc["per"], "late_pickup.per", LATE_PICKUP_UNITS)
        if "per" in doc
        else None
    )
    if None in (after, amount, per):
        return None
    return LatePickup(after=after, amount=amount, per=per)


# --- the month to bill ---------------------------------------------------------------


def parse_month(document: Any) -> Month:
    """Read a month document; raise ``MonthError`` on the first thing wrong."""
    if not isinstance(document, dict):
        raise MonthError("the month must be a JSON object.")
    _only_keys(
        document, ("month", "unit_price", "carried_in", "occurrences"), "the month"
    )
    match = MONTH_RE.fullmatch(str(document.get("month", "")))
    if not isinstance(document.get("month"), str) or match is None:
        raise MonthError('"month" must be a month written YYYY-MM, e.g. "2025-11".')
    year, month = int(match[1]), int(match[2])
    if "unit_price" not in document:
        raise MonthError('"unit_price" is required (a decimal string such as "3.06").')
    unit_price = _money(document["unit_price"], "unit_price")
    carried_in = _money(document.get("carried_in", "0.00"), "carried_in")
    occurrences = document.get("occurrences")
    if not isinstance(occurrences, list):
        raise MonthError(
            '"occurrences" must be a list (empty for a month without any).'
        )
    read = [
        _occurrence(item, index, year, month) for index, item in enumerate(occurrences)
    ]
    seen: set[date] = set()
    for occurrence in read:
        if occurrence.date in seen:
            raise MonthError(f"two occurrences on {occurrence.date.isoformat()}.")
        seen.add(occurrence.date)
    return Month(
        year=year,
        month=month,
        unit_price=unit_price,
        carried_in=carried_in,
        occurrences=tuple(sorted(read, key=lambda occurrence: occurrence.date)),
    )


def _only_keys(document: dict, allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(key) for key in document if key not in allowed)
    if unknown:
        raise MonthError(
            f"{where} has unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(allowed)})."
        )


def _money(value: Any, name: str) -> Decimal:
    if not isinstance(value, str) or not DECIMAL_RE.fullmatch(value):
        raise MonthError(
            f'"{name}" must be a decimal string such as "3.06", not {value!r}.'
        )
    amount = Decimal(value)
    if amount < 0:
        raise MonthError(f'"{name}" cannot be negative ({value}).')
    if amount > MAX_AMOUNT or -amount.as_tuple().exponent > 4:
        raise MonthError(
            f'"{name}" must be at most {MAX_AMOUNT} with at most 4 decimals '
            f"({value[:20]}{'…' if len(value) > 20 else ''})."
        )
    return amount


def _occurrence(item: Any, index: int, year: int, month: int) -> Occurrence:
    where = f"occurrences[{index}]"
    if not isinstance(item, dict):
        raise MonthError(f"{where} must be a JSON object.")
    _only_keys(item, OCCURRENCE_KEYS, where)
    raw_date = item.get("date")
    try:
        day = date.fromisoformat(raw_date) if isinstance(raw_date, str) else None
    except ValueError:
        day = None
    if day is None or len(raw_date) != 10:
        raise MonthError(f"{where}.date must be a date YYYY-MM-DD, not {raw_date!r}.")
    where = f"the occurrence of {day.isoformat()}"
    if (day.year, day.month) != (year, month):
        raise MonthError(f"{where} is not in the month {year:04d}-{month:02d}.")
    booked = item.get("booked")
    if not isinstance(booked, bool):
        raise MonthError(f'{where}: "booked" must be true or false.')
    attendance = item.get("attendance")
    if attendance is not None and attendance not in ATTENDANCES:
        raise MonthError(
            f'{where}: "attendance" must be one of {", ".join(ATTENDANCES)} or null, '
            f"not {attendance!r}."
        )
    cancelled_at = _moment(item.get("cancelled_at"), f'{where}: "cancelled_at"')
    if cancelled_at is not None and not booked:
        raise MonthError(f"{where} is cancelled but was never booked.")
    times = {
        key: _clock(item.get(key), f'{where}: "{key}"') for key in OCCURRENCE_KEYS[4:]
    }
    for start, end in (("booked_from", "booked_to"), ("arrival", "departure")):
        if times[start] and times[end] and times[end] < times[start]:
            raise MonthError(f'{where}: "{end}" is before "{start}".')
    return Occurrence(
        date=day,
        booked=booked,
        cancelled_at=cancelled_at,
        attendance=attendance,
        **times,
    )


def _clock(value: Any, where: str) -> time | None:
    if value is None:
        return None
    if isinstance(value, str) and TIME_RE.fullmatch(value):
        return time.fromisoformat(value)
    raise MonthError(
        f"{where} must be a time HH:MM between 00:00 and 23:59, not {value!r}."
    )


def _moment(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    match = DATETIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match and TIME_RE.fullmatch(match[2]):
        try:
            return datetime.combine(
                date.fromisoformat(match[1]), time.fromisoformat(match[2])
            )
        except ValueError:
            pass
    raise MonthError(
        f"{where} must be a local date and time YYYY-MM-DDTHH:MM, not {value!r}."
    )
