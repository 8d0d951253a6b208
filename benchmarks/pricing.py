"""Quotes per second of the pricing engine, on one core.

Run from the repository root:  .venv/bin/python benchmarks/pricing.py [--runs 7] [--quotes 20000]

Two barèmes: a 17-bracket grid (the largest the domain knows) and an effort-rate barème with
sibling reductions. Each run quotes the same pre-built random situations; the figure is the
median of the runs. The last line printed is one JSON object with the figures.
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from activities.pricing import Situation, load_bareme, quote  # noqa: E402

TARGET = 20_000  # quotes per second: re-pricing 100,000 enrolments in seconds


def common_fields(identifier: str) -> dict:
    return {
        "format": "bareme/1",
        "id": identifier,
        "label": "Barème de mesure",
        "unit": "repas",
        "deliberation": {"reference": "BENCH-1", "date": "2025-06-26", "url": None},
        "valid_from": "2025-09-01",
        "valid_until": None,
        "columns": None,
        "no_qf": {"mode": "highest"},
        "non_resident": None,
        "rounding": {"step": "0.01", "mode": "half_up"},
    }


def seventeen_brackets() -> dict:
    cuts = [150 * index for index in range(1, 17)]  # 150 € wide brackets up to 2 400 €
    brackets = []
    for index in range(17):
        low = 0 if index == 0 else cuts[index - 1] + 1
        high = None if index == 16 else cuts[index]
        brackets.append(
            {
                "label": f"Tranche {index + 1}",
                "min": str(low),
                "min_included": True,
                "max": None if high is None else str(high),
                "max_included": high is not None,
                "price": str(Decimal("0.80") + Decimal("0.25") * index),
            }
        )
    return {
        **common_fields("bench-17-tranches"),
        "qf_rounding": "floor",
        "model": "brackets",
        "brackets": brackets,
        "effort_rate": None,
        "siblings": None,
    }


def effort_rate_with_siblings() -> dict:
    return {
        **common_fields("bench-taux-effort"),
        "qf_rounding": "none",
        "model": "effort_rate",
        "brackets": None,
        "effort_rate": {"rate": "0.0036", "floor": "0.90", "ceiling": "4.50"},
        "siblings": {
            "reductions": [
                {"from_rank": 2, "percent": "10"},
                {"from_rank": 3, "percent": "20"},
            ],
            "not_below_floor": True,
            "applies_to": "all",
        },
    }


def situations(count: int, seed: int) -> list[Situation]:
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        qf = None if rng.random() < 0.05 else Decimal(rng.randrange(0, 300_000)) / 100
        result.append(Situation(qf=qf, child_rank=rng.choice((1, 1, 1, 2, 2, 3, 4))))
    return result


def measure(document: dict, count: int, runs: int) -> dict:
    bareme = load_bareme(document)
    batch = situations(count, seed=len(document["id"]))
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        for situation in batch:
            quote(bareme, situation)
        rates.append(count / (time.perf_counter() - started))
    return {
        "quotes_per_second": round(statistics.median(rates)),
        "min": round(min(rates)),
        "max": round(max(rates)),
    }


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"core {core}"
    return "not pinned"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quotes", type=int, default=20_000)
    args = parser.parse_args()
    pinned = pin_to_one_core()
    results = {
        "brackets_17": measure(seventeen_brackets(), args.quotes, args.runs),
        "effort_rate_siblings": measure(
            effort_rate_with_siblings(), args.quotes, args.runs
        ),
    }
    for name, figures in results.items():
        print(
            f"{name}: {figures['quotes_per_second']:,} quotes/s "
            f"(median of {args.runs} runs of {args.quotes:,}; "
            f"min {figures['min']:,}, max {figures['max']:,})"
        )
    slowest = min(figures["quotes_per_second"] for figures in results.values())
    summary = {
        "benchmark": "pricing",
        "unit": "quotes_per_second",
        "runs": args.runs,
        "quotes_per_run": args.quotes,
        "cpu": pinned,
        "python": platform.python_version(),
        **{name: figures["quotes_per_second"] for name, figures in results.items()},
        "target": TARGET,
        "meets_target": slowest >= TARGET,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
