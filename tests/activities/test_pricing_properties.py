"""Properties of the pricing engine that must hold for any barème (hypothesis)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from activities.pricing import (
    PricingError,
    Situation,
    load_bareme,
    parse_bareme,
    quote,
    to_document,
    validate_document,
)

# More examples than the default: the engine is fast and these are its guarantees.
thorough = settings(max_examples=150, deadline=None)

CENT = Decimal("0.01")


def money(min_cents=0, max_cents=50_000):
    return st.integers(min_cents, max_cents).map(
        lambda cents: str(Decimal(cents) / 100)
    )


qfs = st.decimals(min_value=0, max_value=8000, places=2)
situations = st.builds(
    Situation,
    qf=st.one_of(st.none(), qfs),
    residence=st.sampled_from(["resident", "non_resident"]),
    child_rank=st.integers(1, 6),
    regime=st.sampled_from(["CNAF", "MSA", "none"]),
    flags=st.frozensets(st.sampled_from(["rsa", "ccas"])),
)


def base(**fields):
    document = {
        "format": "bareme/1",
        "id": "propriete",
        "label": "Barème de test",
        "unit": "repas",
        "deliberation": {"reference": "2025-001", "date": "2025-01-01", "url": None},
        "valid_from": "2025-01-01",
        "valid_until": None,
        "qf_rounding": "none",
        "model": "brackets",
        "columns": None,
        "brackets": None,
        "effort_rate": None,
        "no_qf": {"mode": "highest"},
        "non_resident": None,
        "siblings": None,
        "rounding": {"step": "0.01", "mode": "half_up"},
    }
    document.update(fields)
    return document


@st.composite
def contiguous_brackets(draw, column_keys=None, non_decreasing=False, max_size=16):
    """Sound ordinary brackets over the whole QF domain, whatever the QF rounding."""
    # Cuts two euros apart at least, so every bracket holds a whole-euro QF.
    cuts = sorted(
        2 * cut for cut in draw(st.sets(st.integers(1, 3000), max_size=max_size - 1))
    )
    count = len(cuts) + 1
    if non_decreasing:
        steps = draw(st.lists(st.integers(0, 300), min_size=count, max_size=count))
        totals = [sum(steps[: index + 1]) for index in range(count)]
        prices = [str(Decimal(total) / 100) for total in totals]
    else:
        prices = draw(st.lists(money(), min_size=count, max_size=count))
    # Each cut is included either in the bracket below it or in the one above.
    low_side = draw(st.lists(st.booleans(), min_size=len(cuts), max_size=len(cuts)))
    brackets = []
    for index in range(count):
        low = "0" if index == 0 else str(cuts[index - 1])
        high = None if index == len(cuts) else str(cuts[index])
        bracket = {
            "label": f"Tranche {index + 1}",
            "min": low,
            "min_included": index == 0 or not low_side[index - 1],
            "max": high,
            "max_included": high is not None and low_side[index],
        }
        if column_keys is None:
            bracket["price"] = prices[index]
        else:
            bracket["prices"] = {
                key: draw(money()) if position else prices[index]
                for position, key in enumerate(column_keys)
            }
        brackets.append(bracket)
    return draw(st.permutations(brackets))


rank_ranges = st.one_of(
    st.fixed_dictionaries(
        {"min": st.integers(1, 3)}, optional={"max": st.integers(3, 6)}
    ),
    st.fixed_dictionaries({"max": st.integers(1, 6)}),
)
conditions = st.fixed_dictionaries(
    {},
    optional={
        "residence": st.sampled_from(["resident", "non_resident"]),
        "child_rank": rank_ranges,
        "regime": st.lists(
            st.sampled_from(["CNAF", "MSA", "none"]), min_size=1, max_size=3
        ),
        "flags": st.lists(
            st.sampled_from(["rsa", "ccas", "ase"]), min_size=1, max_size=2
        ),
    },
)
siblings = st.fixed_dictionaries(
    {
        "reductions": st.lists(
            st.fixed_dictionaries(
                {
                    "from_rank": st.integers(2, 5),
                    "percent": st.integers(0, 10_000).map(
                        lambda hundredths: str(Decimal(hundredths) / 100)
                    ),
                }
            ),
            min_size=1,
            max_size=3,
            unique_by=lambda reduction: reduction["from_rank"],
        ),
        "not_below_floor": st.booleans(),
        "applies_to": st.sampled_from(["all", "residents"]),
    }
)
non_resident_rules = st.one_of(
    st.none(),
    st.builds(lambda price: {"mode": "flat", "price": price}, money()),
    st.builds(
        lambda factor: {"mode": "multiplier", "factor": factor},
        st.sampled_from(["1.5", "2", "3"]),
    ),
    st.builds(lambda amount: {"mode": "surcharge", "amount": amount}, money(0, 1000)),
)
roundings = st.fixed_dictionaries(
    {
        "step": st.sampled_from(["0.01", "0.05", "0.10", "0.2", "0.25", "0.5", "1"]),
        "mode": st.sampled_from(["half_up", "half_even", "up", "down"]),
    }
)
rates = st.decimals(min_value=0, max_value=Decimal("0.05"), places=5).map(str)


@st.composite
def effort_rates(draw, bounded=False):
    """A rate with its floor and ceiling in cents; either may be null unless bounded."""
    floor = draw(st.integers(0, 1_000))
    ceiling = draw(st.integers(floor, 3_000))
    if not bounded:
        floor = draw(st.sampled_from([floor, None]))
        ceiling = draw(st.sampled_from([ceiling, None]))

    def euros(cents):
        return None if cents is None else str(Decimal(cents) / 100)

    return {"rate": draw(rates), "floor": euros(floor), "ceiling": euros(ceiling)}


@st.composite
def documents(draw):
    """Any sound barème: brackets or effort rate, with or without columns and rules."""
    columns = None
    if draw(st.booleans()):
        keys = draw(
            st.lists(
                st.sampled_from(["a", "b", "c", "d"]),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        columns = [
            {
                "key": key,
                "label": f"Colonne {key}",
                "when": draw(conditions.filter(bool)),
            }
            for key in keys
        ]
        columns.append({"key": "autres", "label": "Autres situations"})
    column_keys = None if columns is None else [c["key"] for c in columns]
    fields = {
        "qf_rounding": draw(st.sampled_from(["none", "floor", "nearest"])),
        "columns": columns,
        "non_resident": draw(non_resident_rules),
        "siblings": draw(st.one_of(st.none(), siblings)),
        "rounding": draw(roundings),
    }
    if draw(st.booleans()):
        fields["model"] = "effort_rate"
        if column_keys is None:
            fields["effort_rate"] = draw(effort_rates())
        else:
            fields["effort_rate"] = {key: draw(effort_rates()) for key in column_keys}
        ceilings_missing = any(
            rate["ceiling"] is None
            for rate in (
                [fields["effort_rate"]]
                if column_keys is None
                else fields["effort_rate"].values()
            )
        )
        if ceilings_missing or draw(st.booleans()):
            fields["no_qf"] = {"mode": "price", "price": draw(money())}
    else:
        brackets = list(draw(contiguous_brackets(column_keys)))
        if draw(st.booleans()):
            special = {
                "label": "Ligne CCAS",
                "min": None,
                "min_included": True,
                "max": None,
                "max_included": False,
                "when": draw(conditions.filter(bool)),
            }
            if column_keys is None:
                special["price"] = draw(money())
            else:
                special["prices"] = {column_keys[0]: draw(money())}
            brackets.insert(0, special)
        fields["brackets"] = brackets
    return base(**fields)


@thorough
@given(contiguous_brackets(non_decreasing=True), qfs, qfs, situations)
def test_non_decreasing_grid_never_lowers_the_price_as_the_qf_grows(
    brackets, first, second, situation
):
    document = base(brackets=brackets)
    assert validate_document(document) == []
    bareme = load_bareme(document)
    low, high = sorted((first, second))
    low_quote = quote(bareme, Situation(qf=low))
    high_quote = quote(bareme, Situation(qf=high))
    assert low_quote.amount <= high_quote.amount


@thorough
@given(
    contiguous_brackets(non_decreasing=True),
    st.sampled_from(["floor", "nearest"]),
    qfs,
    qfs,
)
def test_monotony_holds_with_a_rounded_qf(brackets, qf_rounding, first, second):
    bareme = load_bareme(base(brackets=brackets, qf_rounding=qf_rounding))
    low, high = sorted((first, second))
    assert (
        quote(bareme, Situation(qf=low)).amount
        <= quote(bareme, Situation(qf=high)).amount
    )


@thorough
@given(
    effort_rates(),
    st.one_of(st.none(), siblings),
    st.sampled_from(["half_up", "half_even", "up", "down"]),
    st.one_of(st.none(), qfs),
    st.sampled_from(["resident", "non_resident"]),
)
def test_effort_rate_price_stays_within_floor_and_ceiling(
    rate, sibling_rule, mode, qf, residence
):
    no_qf = {"mode": "highest"} if rate["ceiling"] else {"mode": "price", "price": "1"}
    document = base(
        model="effort_rate",
        effort_rate=rate,
        siblings=sibling_rule,
        no_qf=no_qf,
        rounding={"step": "0.01", "mode": mode},
    )
    # The first child gets no sibling reduction: the price is the bounded rate.
    amount = quote(
        load_bareme(document), Situation(qf=qf, residence=residence, child_rank=1)
    ).amount
    if qf is not None or no_qf["mode"] == "highest":
        if rate["floor"] is not None:
            assert amount >= Decimal(rate["floor"])
        if rate["ceiling"] is not None:
            assert amount <= Decimal(rate["ceiling"])


@thorough
@given(effort_rates(bounded=True), siblings, qfs, st.integers(1, 6))
def test_sibling_reduction_never_goes_below_the_floor_when_told(
    rate, sibling_rule, qf, rank
):
    sibling_rule = dict(sibling_rule, not_below_floor=True)
    document = base(model="effort_rate", effort_rate=rate, siblings=sibling_rule)
    amount = quote(load_bareme(document), Situation(qf=qf, child_rank=rank)).amount
    assert Decimal(rate["floor"]) <= amount <= Decimal(rate["ceiling"])


@thorough
@given(documents(), situations)
def test_results_are_multiples_of_the_rounding_step(document, situation):
    bareme = load_bareme(document)
    try:
        result = quote(bareme, situation)
    except PricingError:
        return  # A situation no column matches: an error, not a price.
    step = bareme.rounding.step
    assert result.amount % step == 0
    assert result.amount >= 0
    assert result.amount.as_tuple().exponent == step.as_tuple().exponent
    assert result.explanation[-1].startswith("Tarif appliqué : ")


@thorough
@given(documents())
def test_import_export_import_is_the_identity(document):
    assert validate_document(document) == []
    bareme = parse_bareme(document)
    exported = to_document(bareme)
    assert parse_bareme(exported) == bareme
    assert to_document(parse_bareme(exported)) == exported
    # Every field is written out, so a complete document comes back unchanged.
    assert exported == document
