"""``python -m family_portal.payments.fakepayfip --port N``: the fake PayFiP.

Prints ``READY http://127.0.0.1:PORT`` once it accepts connections (``--port 0`` picks
a free port), then logs one line per request on standard error (``--quiet``: warnings
only). ``--latency S`` delays every SOAP answer by S seconds from the start.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .server import create_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m family_portal.payments.fakepayfip")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds before each SOAP answer (the latency fault, from the start)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="log warnings only, not every request"
    )
    args = parser.parse_args(argv)
    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("the fake PayFiP listens on the loopback interface only")
    if args.latency < 0:
        parser.error("--latency must be zero or more seconds")
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(message)s",
    )
    server = create_server(args.host, args.port)
    server.state.faults.latency = args.latency
    print(f"READY {server.base_url}", flush=True)  # noqa: T201
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
