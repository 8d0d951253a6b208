"""The billing rules of a service (``facturation/1``) and the engine that bills a month.

Plain Python, no Django, like the pricing engine beside it: the ``billing`` command and the
portal's monthly run call the same functions.
"""

from .deadline import deadline_for, is_in_time, local_minute
from .document import (
    InvalidRules,
    MonthError,
    parse_deadline,
    parse_month,
    parse_rules,
    validate_rules,
)
from .engine import MissingTimes, case_of, compute_month, slot_count
from .model import (
    CASES,
    FORMAT,
    BillingRules,
    Charge,
    Deadline,
    LatePickup,
    Line,
    Month,
    MonthResult,
    Occurrence,
    Slots,
)

__all__ = [
    "CASES",
    "FORMAT",
    "BillingRules",
    "Charge",
    "Deadline",
    "InvalidRules",
    "LatePickup",
    "Line",
    "MissingTimes",
    "Month",
    "MonthError",
    "MonthResult",
    "Occurrence",
    "Slots",
    "case_of",
    "compute_month",
    "deadline_for",
    "is_in_time",
    "local_minute",
    "parse_deadline",
    "parse_month",
    "parse_rules",
    "slot_count",
    "validate_rules",
]
