"""The payments app's models, one module per concept, all importable from here.

- operations: what we asked PayFiP for and what it answered;
- payments: money received (``Payment``) and where it went (``Allocation``).
"""

from .operations import FINAL, PENDING, OperationStatus, PaymentOperation
from .payments import COUNTER_METHODS, Allocation, Method, Payment

__all__ = [
    "COUNTER_METHODS",
    "FINAL",
    "PENDING",
    "Allocation",
    "Method",
    "OperationStatus",
    "Payment",
    "PaymentOperation",
]
