"""The billing app's models, one module per concept, all importable from here.

- regies: régies and their number series;
- rules: the services' billing rules and their frozen versions;
- runs: monthly runs, their batches and what they found per family;
- invoices: invoices, credit notes, their lines and the corrections to come.
"""

from .invoices import (
    Adjustment,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    ServiceMonth,
)
from .regies import NumberSequence, Regie
from .rules import CASE_LABELS, RulesVersion, ServiceRules
from .runs import BillingRun, RunBatch, RunFamily

__all__ = [
    "CASE_LABELS",
    "Adjustment",
    "BillingRun",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "NumberSequence",
    "Regie",
    "RulesVersion",
    "RunBatch",
    "RunFamily",
    "ServiceMonth",
    "ServiceRules",
]
