"""The pricing engine: ``bareme/1`` documents, their validation and quotes.

Plain Python, no Django: money is ``Decimal``, results are frozen dataclasses, and an
unpriceable situation raises ``PricingError`` with a French message.
"""

from .document import parse_bareme
from .engine import describe_situation, quote, situation_from_dict
from .errors import InvalidBareme, PricingError, Problem
from .model import (
    Bareme,
    Bracket,
    Column,
    Condition,
    Deliberation,
    EffortRate,
    NonResident,
    NoQf,
    Quote,
    RankRange,
    Rounding,
    SiblingReduction,
    Siblings,
    Situation,
)
from .validation import check_bareme, load_bareme, validate_document
from .writer import to_document

__all__ = [
    "Bareme",
    "Bracket",
    "Column",
    "Condition",
    "Deliberation",
    "EffortRate",
    "InvalidBareme",
    "NoQf",
    "NonResident",
    "PricingError",
    "Problem",
    "Quote",
    "RankRange",
    "Rounding",
    "SiblingReduction",
    "Siblings",
    "Situation",
    "check_bareme",
    "describe_situation",
    "load_bareme",
    "parse_bareme",
    "quote",
    "situation_from_dict",
    "to_document",
    "validate_document",
]
