"""Typed, immutable view of a ``bareme/1`` document and of the situation to price."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from .formatting import deliberation_label

FORMAT = "bareme/1"

QF_ROUNDINGS = ("none", "floor", "nearest")
MODELS = ("brackets", "effort_rate")
RESIDENCES = ("resident", "non_resident")
REGIMES = ("CNAF", "MSA", "none")
NO_QF_MODES = ("highest", "price")
NON_RESIDENT_MODES = ("flat", "multiplier", "surcharge")
# The document key holding the value of each non-resident mode.
NON_RESIDENT_VALUE_KEYS = {
    "flat": "price",
    "multiplier": "factor",
    "surcharge": "amount",
}
SIBLINGS_APPLIES_TO = ("all", "residents")
ROUNDING_MODES = ("half_up", "half_even", "up", "down")


@dataclass(frozen=True, slots=True)
class Situation:
    """What is known of the family and the child when a price is asked."""

    qf: Decimal | None = None
    residence: str = "resident"
    child_rank: int = 1
    regime: str = "none"
    flags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Deliberation:
    reference: str
    date: date | None  # None only in a document that validation refuses
    url: str | None = None


@dataclass(frozen=True, slots=True)
class RankRange:
    """Inclusive child-rank bounds of a ``when``; either bound may be open."""

    min: int | None = None
    max: int | None = None

    def contains(self, rank: int) -> bool:
        return (self.min is None or rank >= self.min) and (
            self.max is None or rank <= self.max
        )


@dataclass(frozen=True, slots=True)
class Condition:
    """The ``when`` of a column or of a conditional bracket; unset parts match anything."""

    residence: str | None = None
    child_rank: RankRange | None = None
    regime: tuple[str, ...] | None = None
    flags: tuple[str, ...] | None = None

    def matches(self, situation: Situation) -> bool:
        if self.residence is not None and situation.residence != self.residence:
            return False
        if self.child_rank is not None and not self.child_rank.contains(
            situation.child_rank
        ):
            return False
        if self.regime is not None and situation.regime not in self.regime:
            return False
        return self.flags is None or situation.flags.issuperset(self.flags)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    # None when the column suits every situation (no ``when``, or an empty one).
    when: Condition | None = None

    def matches(self, situation: Situation) -> bool:
        return self.when is None or self.when.matches(situation)

    @property
    def selects_on_residence(self) -> bool:
        return self.when is not None and self.when.residence is not None

    @property
    def selects_on_child_rank(self) -> bool:
        return self.when is not None and self.when.child_rank is not None


@dataclass(frozen=True)
class Bracket:
    """A line of the grid (*tranche*); ``when`` makes it a conditional line."""

    label: str
    min: Decimal | None
    min_included: bool
    max: Decimal | None
    max_included: bool
    # ``price`` for a single-column grid, ``prices`` (column key → price) otherwise.
    price: Decimal | None = None
    prices: dict[str, Decimal] | None = None
    when: Condition | None = None

    @property
    def is_conditional(self) -> bool:
        return self.when is not None

    def contains(self, qf: Decimal) -> bool:
        if self.min is not None and (
            qf < self.min or (qf == self.min and not self.min_included)
        ):
            return False
        return (
            self.max is None or qf < self.max or (qf == self.max and self.max_included)
        )

    def price_for(self, column_key: str | None) -> Decimal | None:
        if column_key is None:
            return self.price
        return None if self.prices is None else self.prices.get(column_key)


@dataclass(frozen=True, slots=True)
class EffortRate:
    """*Taux d'effort*: price = QF × rate, bounded by floor and ceiling when set."""

    rate: Decimal
    floor: Decimal | None = None
    ceiling: Decimal | None = None


@dataclass(frozen=True, slots=True)
class NoQf:
    mode: str = "highest"
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class NonResident:
    mode: str
    # The flat price, the multiplying factor or the surcharge amount, per ``mode``.
    value: Decimal


@dataclass(frozen=True, slots=True)
class SiblingReduction:
    from_rank: int
    percent: Decimal


@dataclass(frozen=True, slots=True)
class Siblings:
    reductions: tuple[SiblingReduction, ...]
    not_below_floor: bool = False
    applies_to: str = "all"

    def reduction_for(self, rank: int) -> SiblingReduction | None:
        """The reduction with the highest ``from_rank`` not above ``rank``."""
        best = None
        for reduction in self.reductions:
            if reduction.from_rank <= rank and (
                best is None or reduction.from_rank > best.from_rank
            ):
                best = reduction
        return best


@dataclass(frozen=True, slots=True)
class Rounding:
    step: Decimal = Decimal("0.01")
    mode: str = "half_up"


def _lower_bound_key(bracket: Bracket) -> tuple[Decimal, bool]:
    low = Decimal("-Infinity") if bracket.min is None else bracket.min
    return low, not bracket.min_included


@dataclass(frozen=True)
class Bareme:
    """A whole ``bareme/1`` document; build it with ``parse_bareme`` or ``load_bareme``."""

    id: str
    label: str
    unit: str
    deliberation: Deliberation
    valid_from: date
    valid_until: date | None
    qf_rounding: str
    model: str
    columns: tuple[Column, ...] | None
    brackets: tuple[Bracket, ...] | None
    # One rate for a single-column grid, or column key → rate.
    effort_rate: EffortRate | dict[str, EffortRate] | None
    no_qf: NoQf
    non_resident: NonResident | None
    siblings: Siblings | None
    rounding: Rounding

    def covers(self, start: date, end: date) -> bool:
        """Whether the délibération is in force on every day from ``start`` to ``end``:
        only then may it price an enrolment for those dates."""
        return self.valid_from <= start and (
            self.valid_until is None or end <= self.valid_until
        )

    @property
    def validity_display(self) -> str:
        """``du 01/09/2026 au 31/08/2027``, or ``à partir du 01/09/2026``."""
        if self.valid_until is None:
            return f"à partir du {self.valid_from:%d/%m/%Y}"
        return f"du {self.valid_from:%d/%m/%Y} au {self.valid_until:%d/%m/%Y}"

    @property
    def column_keys(self) -> tuple[str | None, ...]:
        """The keys prices are given for; ``(None,)`` for a single-column grid."""
        return (None,) if self.columns is None else tuple(c.key for c in self.columns)

    @cached_property
    def ordinary_brackets(self) -> tuple[Bracket, ...]:
        return tuple(b for b in self.brackets or () if not b.is_conditional)

    @cached_property
    def conditional_brackets(self) -> tuple[Bracket, ...]:
        return tuple(b for b in self.brackets or () if b.is_conditional)

    @cached_property
    def sorted_ordinary_brackets(self) -> tuple[Bracket, ...]:
        """Ordinary brackets from the lowest QF up (their order in the document may differ)."""
        return tuple(sorted(self.ordinary_brackets, key=_lower_bound_key))

    @cached_property
    def _bracket_lows(self) -> list[Decimal]:
        return [_lower_bound_key(b)[0] for b in self.sorted_ordinary_brackets]

    def find_bracket(self, qf: Decimal) -> Bracket | None:
        """The ordinary bracket holding ``qf`` (already rounded), if any."""
        lows, ordered = self._bracket_lows, self.sorted_ordinary_brackets
        position = bisect_right(lows, qf) - 1
        # The bracket starting at or below qf holds it, unless qf is its excluded
        # lower bound: then it can only be the bracket just before.
        for candidate in ordered[max(position - 1, 0) : position + 1][::-1]:
            if candidate.contains(qf):
                return candidate
        return None

    def ordinary_prices(self, column_key: str | None) -> list[Decimal]:
        """The prices of a column in the ordinary brackets (for ``highest`` and floors)."""
        prices = [b.price_for(column_key) for b in self.ordinary_brackets]
        return [price for price in prices if price is not None]

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns or () if c.key == key), None)

    def rate_for(self, column_key: str | None) -> EffortRate | None:
        if isinstance(self.effort_rate, dict):
            return None if column_key is None else self.effort_rate.get(column_key)
        return self.effort_rate if column_key is None else None


@dataclass(frozen=True, slots=True)
class Quote:
    """A price and the reasons for it, step by step, in French."""

    amount: Decimal
    unit: str
    bareme_id: str
    deliberation: str
    column: str | None
    column_label: str | None
    bracket: str | None
    qf_used: Decimal | None
    explanation: tuple[str, ...]

    @property
    def deliberation_label(self) -> str:
        """ "Délibération n° 2024-057", "Délibération 2025": never the word twice."""
        return deliberation_label(self.deliberation)

    def to_dict(self) -> dict:
        """The JSON object ``manage.py bareme quote`` prints (see FORMAT.md)."""
        return {
            "amount": str(self.amount),
            "unit": self.unit,
            "bareme": self.bareme_id,
            "deliberation": self.deliberation,
            "column": self.column,
            "bracket": self.bracket,
            "explanation": list(self.explanation),
        }
