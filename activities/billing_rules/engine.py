"""A child's month in one service, turned into invoice lines by the service's billing rules.

Each occurrence gets its case (FORMAT.md's eight rules, first match wins), a quantity (1, or
time slots), the charge of its case applied to the enrolment's unit price, and a French
sentence saying why; late pick-ups add a penalty line. The month's total then decides whether
it is invoiced or carried over.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

from activities.pricing.formatting import format_money, format_number
from activities.service_calendar import MONTHS

from .deadline import deadline_for, is_in_time, local_minute
from .model import (
    BillingRules,
    Charge,
    Line,
    Month,
    MonthResult,
    Occurrence,
    to_cents,
)

ZERO = Decimal("0.00")


def case_of(rules: BillingRules, occurrence: Occurrence) -> str | None:
    """The case of an occurrence before waiting days, or None when it gives no line."""
    present = occurrence.attendance == "present"
    if occurrence.attendance == "closed":
        return "closed"
    if occurrence.booked and occurrence.cancelled_at is not None and not present:
        in_time = is_in_time(rules.deadline, occurrence.date, occurrence.cancelled_at)
        return "cancelled_in_time" if in_time else "cancelled_late"
    if occurrence.booked:
        if present:
            return "present"
        if occurrence.attendance == "absent_justified":
            return "absent_justified"
        return "absent"
    return "unbooked_present" if present else None


def compute_month(rules: BillingRules, month: Month) -> MonthResult:
    if rules.billing == "monthly_forfait":
        lines = _forfait(rules, month)
    else:
        lines = _per_occurrence(rules, month)
    total = sum((line.amount for line in lines), ZERO) + month.carried_in
    total = to_cents(total)
    if total == 0:
        invoiced, carried_over = False, ZERO
    elif 0 < total < rules.minimum_invoice:
        invoiced, carried_over = False, total
    else:
        invoiced, carried_over = True, ZERO
    return MonthResult(
        month=month.label,
        lines=tuple(lines),
        carried_in=month.carried_in,
        total=total,
        invoiced=invoiced,
        carried_over=carried_over,
    )


def _forfait(rules: BillingRules, month: Month) -> list[Line]:
    came = any(o.attendance != "closed" for o in month.occurrences)
    if not came:
        return []
    charge = rules.charges["present"]
    unit_price = charge.unit_price(month.unit_price)
    return [
        Line(
            date=date(month.year, month.month, 1),
            case="forfait",
            quantity=1,
            unit_price=unit_price,
            amount=unit_price,
            explanation=(
                f"Forfait mensuel de {_month_name(month)} : "
                f"{_describe_charge(charge, month.unit_price, unit_price)}."
            ),
        )
    ]


def _per_occurrence(rules: BillingRules, month: Month) -> list[Line]:
    lines: list[Line] = []
    waiting_run = 0
    for occurrence in month.occurrences:
        case = case_of(rules, occurrence)
        if case is None:
            continue  # gives no line, so it does not break a run of justified absences
        waiting_day = 0
        if case == "absent_justified":
            waiting_run += 1
            if waiting_run <= rules.justified_waiting_days:
                case, waiting_day = "absent", waiting_run
        else:
            waiting_run = 0
        lines.append(_occurrence_line(rules, month, occurrence, case, waiting_day))
        penalty = _late_pickup_line(rules, occurrence, case)
        if penalty is not None:
            lines.append(penalty)
    return lines


def _occurrence_line(
    rules: BillingRules,
    month: Month,
    occurrence: Occurrence,
    case: str,
    waiting_day: int,
) -> Line:
    charge = rules.charges[case]
    unit_price = charge.unit_price(month.unit_price)
    quantity, span = _quantity(rules, occurrence, case)
    amount = to_cents(unit_price * quantity)
    reason = _reason(rules, occurrence, case, waiting_day)
    if amount == 0 and case in ("closed", "cancelled_in_time"):
        cost = "non facturé"
    else:
        cost = _describe_charge(charge, month.unit_price, unit_price)
        if span:
            cost = f"{span}, {cost}"
    return Line(
        date=occurrence.date,
        case=case,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        explanation=f"{reason} : {cost}.",
    )


def _quantity(
    rules: BillingRules, occurrence: Occurrence, case: str
) -> tuple[int, str]:
    """The quantity of an occurrence's line and, when billed by time, what it counts."""
    if rules.slots is None:
        return 1, ""
    if case in ("closed", "cancelled_in_time"):
        return 0, ""
    if case in ("present", "unbooked_present"):
        start, end, what = occurrence.arrival, occurrence.departure, "de présence"
    else:
        start, end, what = occurrence.booked_from, occurrence.booked_to, "réservées"
    if start is None or end is None:
        raise MissingTimes(occurrence.date, case)
    count = slot_count(
        rules.slots.minutes,
        rules.slots.rounding,
        rules.slots.tolerance_minutes,
        _minutes(start, end),
    )
    plural = "s" if count > 1 else ""
    return count, (
        f"{count} tranche{plural} de {rules.slots.minutes} min {what} "
        f"({_clock(start)}–{_clock(end)})"
    )


class MissingTimes(ValueError):
    """An occurrence billed by time without the two times its case needs."""

    def __init__(self, day: date, case: str) -> None:
        self.day, self.case = day, case
        needed = (
            "arrival and departure"
            if case in ("present", "unbooked_present")
            else "booked_from and booked_to"
        )
        super().__init__(
            f"the occurrence of {day.isoformat()} ({case}) needs {needed}: "
            "the rules bill by time slots."
        )


def slot_count(minutes: int, rounding: str, tolerance: int, total: int) -> int:
    """Slots of ``minutes`` in ``total`` minutes: every started slot after ``tolerance``
    minutes of grace (``started``), or whole slots with half a slot or more counting as
    one (``nearest``)."""
    if rounding == "started":
        billable = max(0, total - tolerance)
        return -(-billable // minutes)
    whole, rest = divmod(total, minutes)
    return whole + (1 if 2 * rest >= minutes else 0)


def _late_pickup_line(
    rules: BillingRules, occurrence: Occurrence, case: str
) -> Line | None:
    late = rules.late_pickup
    if (
        late is None
        or case not in ("present", "unbooked_present")
        or occurrence.departure is None
        or occurrence.departure <= late.after
    ):
        return None
    overtime = _minutes(late.after, occurrence.departure)
    if late.per == "occurrence":
        quantity, unit = 1, "pénalité forfaitaire"
    else:
        quantity = -(-overtime // 15)
        unit = f"{quantity} quart{'s' if quantity > 1 else ''} d'heure commencé{'s' if quantity > 1 else ''}"
    amount = to_cents(late.amount * quantity)
    return Line(
        date=occurrence.date,
        case="late_pickup",
        quantity=quantity,
        unit_price=to_cents(late.amount),
        amount=amount,
        explanation=(
            f"{_day(occurrence.date)} : départ à {_clock(occurrence.departure)}, "
            f"après l'heure de fermeture "
            f"({_clock(late.after)}) : {unit} × {format_money(to_cents(late.amount))} "
            f"= {format_money(amount)}."
        ),
    )


def _reason(
    rules: BillingRules, occurrence: Occurrence, case: str, waiting_day: int
) -> str:
    day = _day(occurrence.date)
    if case == "closed":
        return f"{day} : service fermé"
    if case in ("cancelled_in_time", "cancelled_late"):
        deadline = deadline_for(rules.deadline, occurrence.date)
        when = "avant" if case == "cancelled_in_time" else "après"
        return (
            f"{day} : réservation annulée le {_moment(local_minute(occurrence.cancelled_at))}, "
            f"{when} la date limite du {_moment(deadline)}"
        )
    if case == "present":
        return f"{day} : présence réservée"
    if case == "unbooked_present":
        return f"{day} : présence sans réservation"
    if case == "absent_justified":
        return f"{day} : absence justifiée par un certificat médical"
    if waiting_day:
        of = rules.justified_waiting_days
        return (
            f"{day} : absence justifiée, jour de carence {waiting_day} sur {of}, "
            "facturée comme une absence"
        )
    if occurrence.attendance is None:
        return f"{day} : jour réservé, présence non pointée, compté comme une absence"
    return f"{day} : absence sur un jour réservé"


# A month repeats the same few charges on every line: format each once.
@lru_cache(maxsize=1024)
def _describe_charge(charge: Charge, base: Decimal, unit_price: Decimal) -> str:
    if charge.kind == "factor":
        if charge.value == 0:
            return "non facturé"
        if charge.value == 1:
            return f"tarif {format_money(unit_price)}"
        return (
            f"tarif {format_money(base)} × {format_number(charge.value.normalize())} "
            f"= {format_money(unit_price)}"
        )
    if charge.kind == "amount":
        return f"montant fixé par le règlement {format_money(unit_price)}"
    return (
        f"tarif {format_money(base)} + majoration {format_money(charge.value)} "
        f"= {format_money(unit_price)}"
    )


def _month_name(month: Month) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def _day(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _clock(moment: time) -> str:
    return f"{moment:%H:%M}"


def _moment(moment: datetime) -> str:
    return f"{moment:%d/%m/%Y} à {moment:%H:%M}"


def _minutes(start: time, end: time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
