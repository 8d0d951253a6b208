"""Command line entry point: ``python -m qf_connector.fakeapi --port N --cases DIR …``.

Prints ``READY http://127.0.0.1:PORT`` on standard output once it accepts
connections (``--port 0`` picks a free port), then logs one line per request on
standard error.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from .cases import CaseBook, CaseFileError, staging_dir
from .faults import Fault, FaultError
from .server import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    DEFAULT_TOKEN,
    create_server,
)

LOGGER = logging.getLogger("qf_connector.fakeapi")

EPILOG = """\
faults (--fault, repeatable, queued in order; each takes latency=SECONDS and times=K):
  latency:seconds=3                   slow answers
  status:status=504,code=37002,times=2
  conflict                            409 00015
  rate_limit:retry_after=5            429 00429 with Retry-After: 5
  html:status=502                     a reverse proxy's HTML error page
  truncated                           the normal answer cut in half
  drop                                close the connection without answering
  '{"kind": "status", "status": 503}' JSON works too

at run time: POST /__fake__/faults (a fault or a list of faults as JSON),
DELETE /__fake__/faults, GET /__fake__/stats, POST /__fake__/reset,
GET /__fake__/health
"""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m qf_connector.fakeapi",
        description="Fake API Particulier serving the staging quotient familial cases.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: loopback only)"
    )
    parser.add_argument(
        "--cases",
        nargs="+",
        metavar="DIR",
        help="case folders or files, searched recursively "
        "(default: the staging cases shipped in qf_connector/fakeapi/staging)",
    )
    parser.add_argument(
        "--token",
        default=DEFAULT_TOKEN,
        help=f"bearer token accepted on /identite (default: {DEFAULT_TOKEN})",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=DEFAULT_RATE_LIMIT,
        help="requests per window and token, 0 to disable (default: %(default)s)",
    )
    parser.add_argument(
        "--rate-window",
        type=float,
        default=DEFAULT_RATE_WINDOW,
        help="sliding window in seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SPEC", help="see below"
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds added to every API answer, on top of any fault's",
    )
    parser.add_argument(
        "--france-connect-userinfo",
        metavar="URL",
        help="a FranceConnect userinfo endpoint (the local one of make demo): a bearer "
        "on /france_connect that no case file names is the person it answers for",
    )
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        faults = [Fault.from_spec(spec) for spec in args.fault]
        book = CaseBook.load(args.cases or [staging_dir()])
    except (FaultError, CaseFileError) as error:
        LOGGER.error("fakeapi cannot start: %s", error)
        return 2
    if not _is_loopback(args.host):
        LOGGER.warning(
            "fakeapi listening beyond loopback (%s): test data only", args.host
        )

    server = create_server(
        [],
        casebook=book,
        host=args.host,
        port=args.port,
        token=args.token,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        faults=faults,
        latency=max(0.0, args.latency),
        france_connect_userinfo=args.france_connect_userinfo,
    )
    signal.signal(signal.SIGTERM, _stop)
    LOGGER.info("fakeapi listening on %s (%s)", server.base_url, book.summary())
    sys.stdout.write(f"READY {server.base_url}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
