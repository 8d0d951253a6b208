"""Anonymous pages while API Particulier hangs: their throughput with the API answering,
then while parents' lookups hang on it, measured back to back against one gunicorn.

    .venv/bin/python benchmarks/slow_api.py [--rounds 3] [--seconds 8] [--lookups 8]

Runs inside the project's throwaway PostgreSQL cluster (.ci/with-postgres): a
production-like deployment (migrate, collectstatic, load_demo), the fake API Particulier
as its own process, ``--lookups`` signed-in parents (enrolment.py's set-up) brought to
the wizard's consent and lookup step. Then, in each round, a fresh gunicorn with the
project's configuration (2 workers; a fresh one so that each round starts with closed
circuit breakers):

1. anonymous pages (home, activity index, activity page; the page cache warm) loaded
   for ``--seconds`` by ``--concurrency`` clients, one connection per request;
2. the fake API told to answer nothing for ``--hang`` seconds (its latency fault), the
   parents post the lookup step together (each one answered at once posts it again
   after ``--think`` seconds, as a parent would), and once they hang the same pages
   are loaded again for ``--seconds``;
3. once every lookup has ended, the pages once more with the API answering.

The window closes before the first lookup's read timeout (12 s), so no circuit breaker
opens during it: this is the worst moment, when every lookup still waits. The figure
is the throughput while the lookups hang over the mean of the two around it, median
of the rounds; the target is 80 %.
``--sync`` runs gunicorn's former synchronous workers instead of the configuration's,
for comparison. Prints the figures, then ONE line of JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from enrolment import RECIPIENT, SETUP, TOKEN, Parent, last_json_line
from harness import (
    Deployment,
    Gunicorn,
    exit_cleanly_on_sigterm,
    machine,
    median,
    rerun_with_postgres,
    temporary_folder,
)

from qf_connector.fakeapi.testing import FakeApiControl, running_fake_api_process

PAGES = ["/", "/activites/", "/activites/restauration-scolaire/"]
TARGET_SHARE = 0.8
# The client gives up an attempt after API_PARTICULIER_READ_TIMEOUT (12 s): the first
# failures reach the circuit breakers then. The window must close before.
READ_TIMEOUT_S = 12.0
# A post held this long is a lookup waiting on the API (or on a busy worker), not one
# answered at once.
HELD_S = 1.0
WORKER_LINE = re.compile(r"Using worker: (\S+)")


class LookupLoop(threading.Thread):
    """One parent posting the lookup step until told to stop; an answer that comes at
    once (the portal's "service unavailable" fallback) is read for ``think`` seconds,
    then the step is posted again."""

    def __init__(self, parent: Parent, page: httpx.Response, stop, think: float):
        super().__init__(daemon=True)
        self.parent = parent
        self.page = page
        self.stop = stop
        self.think = think
        self.posted_at: float | None = None
        self.durations: list[float] = []
        self.statuses: list[int] = []
        self.error: str | None = None

    def held(self, now: float) -> bool:
        posted_at = self.posted_at
        return posted_at is not None and now - posted_at >= HELD_S

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.posted_at = time.perf_counter()
                response = self.parent.post_step(
                    "caf-msa", self.parent.identity_fields(), self.page
                )
                self.durations.append(time.perf_counter() - self.posted_at)
                self.posted_at = None
                self.statuses.append(response.status_code)
                if response.status_code != 200:  # 302: the API answered after all
                    break
                self.page = response  # the step again, with the fallback offered
                self.stop.wait(self.think)
        except httpx.HTTPError as problem:
            self.posted_at = None
            self.error = type(problem).__name__


def in_flight_at_api(control: FakeApiControl) -> int:
    """Requests the fake API received and has not answered yet."""
    stats = control.stats()
    answered = sum(stats["by_status"].values()) + stats["dropped"]
    return stats["requests"] - answered


def worker_class(server: Gunicorn) -> str:
    found = WORKER_LINE.search(server.log_path.read_text())
    return found.group(1) if found else "unknown"


def one_round(number, deployment, scene, control, args) -> dict:
    env = {}
    if args.sync:
        env["GUNICORN_CMD_ARGS"] = "--worker-class sync --threads 1"
    with Gunicorn(deployment, workers=args.workers, **env) as server:
        # A new connection for each request, as the reverse proxy (nginx, without
        # upstream keep-alive) opens them: any worker may take a parent's post.
        parents = [
            Parent(server.base_url, scene, parent, keep_alive=False)
            for parent in scene["parents"]
        ]
        pages = []
        for parent in parents:
            parent.up_to_lookup()
            pages.append(parent.open_step("caf-msa"))

        def window(label):
            result = server.load(
                label,
                PAGES,
                concurrency=args.concurrency,
                requests=10**6,
                seconds=args.seconds,
                warmup=0,
            )
            print(f"round {number}: {result.line()}", flush=True)
            return result

        # Every worker's page cache filled, then the pages with the API answering.
        server.load("warm-up", PAGES, concurrency=args.concurrency, seconds=2)
        before = window("anonymous pages, API answering")

        control.clear_faults()
        control.add_fault("latency", latency=args.hang)
        stop = threading.Event()
        loops = [
            LookupLoop(parent, page, stop, args.think)
            for parent, page in zip(parents, pages, strict=True)
        ]
        hang_started = time.perf_counter()
        for loop in loops:
            loop.start()
        time.sleep(args.ramp)
        now = time.perf_counter()
        held_before = sum(loop.held(now) for loop in loops)
        at_api_before = in_flight_at_api(control)
        hung = window(f"anonymous pages, {args.lookups} lookups hanging")
        now = time.perf_counter()
        window_end = now - hang_started
        held_after = sum(loop.held(now) for loop in loops)
        at_api_after = in_flight_at_api(control)
        stop.set()
        control.clear_faults()
        print(
            f"round {number}: lookups held {held_before} → {held_after}, waiting at "
            f"the API {at_api_before} → {at_api_after}; window closed "
            f"{window_end:.1f} s after the first post",
            flush=True,
        )
        for loop in loops:
            loop.join(timeout=120)
        # Once every lookup has ended: the same pages again, so that the share is
        # taken against both sides of the hang (the machine's load drifts).
        after = window("anonymous pages, API answering again")
        kind = worker_class(server)
        memory = server.memory()
    for parent in parents:
        parent.http.close()
    durations = [d for loop in loops for d in loop.durations]
    alone_rate = (before.rate + after.rate) / 2
    share = hung.rate / alone_rate if alone_rate else 0.0
    print(f"round {number}: share kept {share:.0%} ({kind})", flush=True)
    return {
        "worker_class": kind,
        "alone": before.summary(),
        "hanging": hung.summary(),
        "alone_again": after.summary(),
        "alone_rps": round(alone_rate, 1),
        "share": round(share, 3),
        "lookups_held_at_window_start": held_before,
        "lookups_held_at_window_end": held_after,
        "waiting_at_api_at_window_start": at_api_before,
        "waiting_at_api_at_window_end": at_api_after,
        "window_closed_after_s": round(window_end, 1),
        "lookup_posts": len(durations),
        "lookup_posts_answered_at_once": sum(d < HELD_S for d in durations),
        "lookup_post_max_s": round(max(durations, default=0.0), 1),
        "lookup_errors": [loop.error for loop in loops if loop.error],
        "worker_memory": memory,
    }


def run(args) -> dict:
    database_url = os.environ["DATABASE_URL"]
    load_before = os.getloadavg()
    with (
        temporary_folder("portail-bench-slow-api-") as workdir,
        running_fake_api_process(
            rate_limit=1_000_000, stderr=subprocess.DEVNULL
        ) as api_url,
    ):
        control = FakeApiControl(api_url)
        deployment = Deployment(
            database_url=database_url,
            workdir=workdir,
            extra_env={
                "API_PARTICULIER_URL": api_url,
                "API_PARTICULIER_TOKEN": TOKEN,
                "API_PARTICULIER_RECIPIENT": RECIPIENT,
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            },
        )
        started = time.monotonic()
        deployment.prepare()
        scene = last_json_line(
            deployment.manage(
                "shell", "-c", SETUP.replace("PARENTS", str(args.lookups))
            )
        )
        print(
            f"deployment and {args.lookups} parents ready in "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )
        rounds = [
            one_round(number, deployment, scene, control, args)
            for number in range(1, args.rounds + 1)
        ]
    load_after = os.getloadavg()
    share = median([one["share"] for one in rounds])
    held = min(one["lookups_held_at_window_end"] for one in rounds)
    print(
        f"anonymous pages kept {share:.0%} of their throughput (median of "
        f"{len(rounds)} rounds; target {TARGET_SHARE:.0%}) while {args.lookups} "
        f"parents' lookups hung (at least {held} still held as each window closed); "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after",
        flush=True,
    )
    return {
        "benchmark": "slow_api",
        "database": "postgresql",
        "machine": machine(),
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
        "workers": args.workers,
        "worker_class": rounds[0]["worker_class"],
        "sync_forced": args.sync,
        "concurrency": args.concurrency,
        "seconds_per_window": args.seconds,
        "lookups": args.lookups,
        "api_hang_s": args.hang,
        "pages": PAGES,
        "rounds": rounds,
        "share_kept": share,
        "alone_rps_median": median([one["alone_rps"] for one in rounds]),
        "hanging_rps_median": median([one["hanging"]["rps"] for one in rounds]),
        "target_share": TARGET_SHARE,
        "meets_target": share >= TARGET_SHARE,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="per window")
    parser.add_argument("--concurrency", type=int, default=4, help="page clients")
    parser.add_argument("--lookups", type=int, default=8, help="parents looking up")
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds before posting again"
    )
    parser.add_argument(
        "--hang",
        type=float,
        default=25.0,
        help="seconds the fake API holds a request (past the client's 20 s deadline)",
    )
    parser.add_argument(
        "--ramp",
        type=float,
        default=1.5,
        help="seconds between the posts and the window",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--sync", action="store_true", help="synchronous workers, as before the fix"
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    exit_cleanly_on_sigterm()
    if args.ramp + args.seconds >= READ_TIMEOUT_S - 1:
        parser.error(
            f"--ramp + --seconds must stay under {READ_TIMEOUT_S - 1:.0f} s: after "
            "that the first lookups time out and the circuit breakers open"
        )
    if args.inner:
        print(json.dumps(run(args)))
        return 0
    options = [
        f"--rounds={args.rounds}",
        f"--seconds={args.seconds}",
        f"--concurrency={args.concurrency}",
        f"--lookups={args.lookups}",
        f"--think={args.think}",
        f"--hang={args.hang}",
        f"--ramp={args.ramp}",
        f"--workers={args.workers}",
        *(["--sync"] if args.sync else []),
        "--inner",
    ]
    summary = rerun_with_postgres(Path(__file__), options)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
