"""``python -m family_portal.franceconnect.mock --port N``: the local FranceConnect.

Prints ``READY http://127.0.0.1:PORT`` once it accepts connections, then one log line
per request (method, path, status) on standard error.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from .server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TOKEN_TTL,
    create_server,
)

LOGGER = logging.getLogger("franceconnect.mock")


def _stop(signum, frame):
    raise SystemExit(0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m family_portal.franceconnect.mock",
        description="Local FranceConnect (OpenID Connect provider) for the demo and tests.",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=DEFAULT_TOKEN_TTL,
        help="seconds an access token and an ID token live (default: %(default)s)",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # Loopback only: this provider signs in anybody who clicks.
    server = create_server(
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_ttl=args.token_ttl,
    )
    signal.signal(signal.SIGTERM, _stop)
    LOGGER.info("local FranceConnect listening on %s", server.base_url)
    sys.stdout.write(f"READY {server.base_url}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
