"""Yearly QF refresh benchmark: 2,000 lookups through the client against the fake API.

Starts the fake API Particulier as its own process, limited like the real one to 20
requests/s per token, then runs the lookups from several threads through ONE
``QuotientClient`` (as one portal process would) throttled just below the limit.
Prints the achieved rate and the number of 429 answers, then one line of JSON.

    .venv/bin/python benchmarks/qf_refresh.py [--lookups 2000] [--rate 19] [--threads 8]

Target: at least 90 % of the server's limit, with no 429. The default throttle is
18.5 req/s: at 19 req/s, 20 evenly spaced requests span exactly one second, so a
few milliseconds of jitter put 20 in the server's sliding window, which answers
``RateLimit-Remaining: 0`` and the client then rightly pauses until the reset.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qf_connector.client import CallRecord, QuotientClient  # noqa: E402
from qf_connector.errors import QuotientError  # noqa: E402
from qf_connector.fakeapi.testing import (  # noqa: E402
    DEFAULT_TOKEN,
    IDENTITE,
    TEST_RECIPIENT,
    FakeApiControl,
    load_cases,
    running_fake_api_process,
)
from qf_connector.identity import Identity  # noqa: E402


def identities() -> list[Identity]:
    """The staging allocataires that answer 200 for the current month."""
    people = []
    for case in load_cases().cases[IDENTITE]:
        params = case.params
        if case.status != 200 or case.month is not None:
            continue
        birth = []
        for key in ("anneeDateNaissance", "moisDateNaissance", "jourDateNaissance"):
            if params.get(key) in (None, ""):
                break
            birth.append(f"{int(params[key]):02d}")
        country = str(params.get("codeCogInseePaysNaissance") or "99100")
        people.append(
            Identity.create(
                birth_name=params["nomNaissance"],
                first_names=list(params["prenoms"]),
                sex=params["sexeEtatCivil"],
                birth_date="-".join(birth) or None,
                birth_commune=(
                    params.get("codeCogInseeCommuneNaissance")
                    if country == "99100"
                    else None
                ),
                birth_country=country,
            )
        )
    return people


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument(
        "--rate", type=float, default=18.5, help="client throttle, req/s"
    )
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--server-limit", type=int, default=20, help="fake API req/s")
    args = parser.parse_args(argv)

    people = identities()
    records: list[CallRecord] = []
    records_lock = threading.Lock()
    outcomes: Counter[str] = Counter()

    def keep(record: CallRecord) -> None:
        with records_lock:
            records.append(record)

    with running_fake_api_process(
        rate_limit=args.server_limit,
        stderr=subprocess.DEVNULL,
    ) as base_url:
        control = FakeApiControl(base_url)
        control.reset()
        client = QuotientClient(
            base_url,
            DEFAULT_TOKEN,
            TEST_RECIPIENT,
            rate=args.rate,
            on_call=keep,
            max_workers=args.threads * 2,
        )

        def lookup(index: int) -> None:
            # fresh=True: a refresh wants today's value, not the API's 24-hour cache.
            try:
                client.lookup_by_identity(people[index % len(people)], fresh=True)
                outcome = "ok"
            except QuotientError as error:
                outcome = error.kind.value
            with records_lock:
                outcomes[outcome] += 1

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(lookup, range(args.lookups)))
        elapsed = time.monotonic() - started
        client.close()
        server = control.stats()

    requests = sum(record.attempts for record in records)
    achieved = requests / elapsed
    figures = {
        "benchmark": "qf_refresh",
        "lookups": args.lookups,
        "threads": args.threads,
        "client_rate": args.rate,
        "server_limit": args.server_limit,
        "elapsed_s": round(elapsed, 2),
        "http_requests": requests,
        "achieved_rate": round(achieved, 2),
        "lookups_per_s": round(args.lookups / elapsed, 2),
        "share_of_limit": round(achieved / args.server_limit, 3),
        "ok": outcomes["ok"],
        "errors": {k: v for k, v in outcomes.items() if k != "ok"},
        "http_429": server.get("rate_limited", 0),
        "server_requests": server.get("requests"),
        "p95_ms": sorted(r.duration_ms for r in records)[int(len(records) * 0.95) - 1],
    }
    print(f"{args.lookups} lookups in {elapsed:.1f} s with {args.threads} threads")
    print(
        f"achieved {achieved:.2f} req/s = {figures['share_of_limit']:.1%} of the "
        f"{args.server_limit} req/s limit (client throttle {args.rate} req/s)"
    )
    print(f"429 answers: {figures['http_429']}; outcomes: {dict(outcomes)}")
    print(json.dumps(figures))
    target_met = figures["share_of_limit"] >= 0.9 and figures["http_429"] == 0
    return 0 if target_met else 1


if __name__ == "__main__":
    sys.exit(main())
