"""The billing rules of a service (``facturation/1``), a month to bill and its lines.

Frozen dataclasses, no Django: money and factors are ``Decimal``, dates and times are the
commune's local ones (Europe/Paris), naive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from activities.pricing.model import Deliberation

FORMAT = "facturation/1"
BILLING_MODES = ("per_occurrence", "monthly_forfait")
DEADLINE_COUNTS = ("calendar_days", "working_days")
HOLIDAY_CALENDARS = ("metropole", "alsace_moselle")
# The cases of FORMAT.md, in the order a règlement lists them; each needs a charge.
CASES = (
    "present",
    "unbooked_present",
    "absent",
    "absent_justified",
    "cancelled_in_time",
    "cancelled_late",
    "closed",
)
# Cases a line can carry besides those: the monthly forfait and the late pick-up penalty.
LINE_CASES = (*CASES, "forfait", "late_pickup")
CHARGE_KINDS = ("factor", "amount", "surcharge")
ATTENDANCES = ("present", "absent", "absent_justified", "closed")
SLOT_ROUNDINGS = ("started", "nearest")
LATE_PICKUP_UNITS = ("occurrence", "started_15_minutes")

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """Round once, half up to the cent, as FORMAT.md says for every price and amount."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Charge:
    """What one case costs: ``factor`` × unit price, a fixed ``amount``, or unit price +
    ``surcharge``; always per unit of quantity."""

    kind: str
    value: Decimal

    def unit_price(self, base: Decimal) -> Decimal:
        if self.kind == "factor":
            return to_cents(self.value * base)
        if self.kind == "amount":
            return to_cents(self.value)
        return to_cents(base + self.value)


@dataclass(frozen=True, slots=True)
class Deadline:
    """Until when an occurrence can be booked or cancelled online: at ``at`` on the
    ``days_before``-th day (calendar or working) before it."""

    days_before: int
    at: time
    count: str = "calendar_days"
    holidays: str = "metropole"


@dataclass(frozen=True, slots=True)
class Slots:
    minutes: int
    rounding: str
    tolerance_minutes: int = 0


@dataclass(frozen=True, slots=True)
class LatePickup:
    after: time
    amount: Decimal
    per: str


@dataclass(frozen=True, slots=True)
class BillingRules:
    id: str
    label: str
    deliberation: Deliberation
    billing: str
    deadline: Deadline
    charges: dict[str, Charge]
    justified_waiting_days: int = 0
    slots: Slots | None = None
    late_pickup: LatePickup | None = None
    minimum_invoice: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One day (or session) of the service for one child, as bookings and attendance
    recorded it."""

    date: date
    booked: bool
    cancelled_at: datetime | None = None
    attendance: str | None = None
    booked_from: time | None = None
    booked_to: time | None = None
    arrival: time | None = None
    departure: time | None = None


@dataclass(frozen=True, slots=True)
class Month:
    """A child's month in one service: its occurrences in date order, the unit price of
    the enrolment's frozen tariff and what earlier months carried over."""

    year: int
    month: int
    unit_price: Decimal
    carried_in: Decimal = Decimal("0.00")
    occurrences: tuple[Occurrence, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class Line:
    date: date
    case: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    explanation: str

    def to_dict(self) -> dict[str, str]:
        return {
            "date": self.date.isoformat(),
            "case": self.case,
            "quantity": str(self.quantity),
            "unit_price": str(self.unit_price),
            "amount": str(self.amount),
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class MonthResult:
    month: str
    lines: tuple[Line, ...]
    carried_in: Decimal
    total: Decimal
    invoiced: bool
    carried_over: Decimal

    def to_dict(self) -> dict:
        return {
            "month": self.month,
            "lines": [line.to_dict() for line in self.lines],
            "carried_in": str(to_cents(self.carried_in)),
            "total": str(self.total),
            "invoiced": self.invoiced,
            "carried_over": str(self.carried_over),
        }
