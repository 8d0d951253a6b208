"""`python -m portail_site.demo --host H --port P --fake-api-port F --franceconnect-port C
--fake-payfip-port Q` (what `make demo` runs after migrating and loading the demo): starts
the fake API Particulier, the local FranceConnect, the fake PayFiP, the periodic jobs'
loop and the development server, each checked to answer before the next starts, prints the real addresses, and stops everything when one of them stops (with the
end of its log) or on Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .servers import Service, ServiceFailed, ServiceGroup, stop_on_signals

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FRANCECONNECT_PORT = 8766
DEFAULT_FAKE_PAYFIP_PORT = 8767
VAR = ROOT / "var"


def demo_services(
    host: str,
    port: int,
    fake_api_port: int,
    python: str,
    franceconnect_port: int = DEFAULT_FRANCECONNECT_PORT,
    fake_payfip_port: int = DEFAULT_FAKE_PAYFIP_PORT,
) -> list[Service]:
    site_url = f"http://{host}:{port}"
    fake_api_url = f"http://127.0.0.1:{fake_api_port}"
    franceconnect_url = f"http://127.0.0.1:{franceconnect_port}"
    fake_payfip_url = f"http://127.0.0.1:{fake_payfip_port}"
    django_env = {
        "API_PARTICULIER_URL": fake_api_url,
        "WAGTAILADMIN_BASE_URL": site_url,
        "FRANCECONNECT_URL": franceconnect_url,
        "PAYFIP_WSDL_URL": f"{fake_payfip_url}/tpa/services/securite?wsdl",
        "PAYFIP_PAYMENT_URL": f"{fake_payfip_url}/tpa/paiementws.web",
    }
    manage = [python, str(ROOT / "manage.py")]
    return [
        Service(
            "fake API Particulier",
            [
                python,
                "-m",
                "qf_connector.fakeapi",
                "--port",
                str(fake_api_port),
                # It asks the local FranceConnect who a FranceConnect bearer is.
                "--france-connect-userinfo",
                f"{franceconnect_url}/userinfo",
            ],
            health_url=f"{fake_api_url}/__fake__/health",
            log=VAR / "fakeapi.log",
            timeout=30,
        ),
        Service(
            "local FranceConnect",
            [
                python,
                "-m",
                "family_portal.franceconnect.mock",
                "--port",
                str(franceconnect_port),
            ],
            health_url=f"{franceconnect_url}/__mock__/health",
            log=VAR / "franceconnect.log",
            timeout=30,
        ),
        Service(
            "fake PayFiP",
            [
                python,
                "-m",
                "family_portal.payments.fakepayfip",
                "--port",
                str(fake_payfip_port),
            ],
            health_url=f"{fake_payfip_url}/__fake__/health",
            log=VAR / "fakepayfip.log",
            timeout=30,
        ),
        Service(
            "periodic jobs (publish_scheduled, retry_quotients, …)",
            [*manage, "run_periodic_jobs"],
            log=VAR / "periodic-jobs.log",
            env=django_env,
            grace=3.0,
        ),
        Service(
            "site",
            [*manage, "runserver", f"{host}:{port}"],
            health_url=f"{site_url}/",
            env=django_env,
            timeout=90,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portail_site.demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fake-api-port", type=int, required=True)
    parser.add_argument(
        "--franceconnect-port", type=int, default=DEFAULT_FRANCECONNECT_PORT
    )
    parser.add_argument(
        "--fake-payfip-port", type=int, default=DEFAULT_FAKE_PAYFIP_PORT
    )
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)

    services = demo_services(
        args.host,
        args.port,
        args.fake_api_port,
        args.python,
        franceconnect_port=args.franceconnect_port,
        fake_payfip_port=args.fake_payfip_port,
    )
    site_url = f"http://{args.host}:{args.port}"
    stop_on_signals()
    try:
        with ServiceGroup() as group:
            for service in services:
                print(f"Starting {service.name}…", flush=True)  # noqa: T201
                group.start(service)
            print(  # noqa: T201
                f"\nSite: {site_url}/  —  admin: {site_url}/admin/\n"
                f"Fake API Particulier: http://127.0.0.1:{args.fake_api_port} "
                f"(log: var/fakeapi.log)\n"
                f"Local FranceConnect: http://127.0.0.1:{args.franceconnect_port} "
                "(log: var/franceconnect.log; the demo's FranceConnect parent is "
                "Pierre Mercier)\n"
                f"Fake PayFiP: http://127.0.0.1:{args.fake_payfip_port} "
                "(log: var/fakepayfip.log)\n"
                "Periodic jobs: var/periodic-jobs.log\n"
                "Ctrl-C stops everything.\n",
                flush=True,
            )
            group.wait()
    except ServiceFailed as error:
        print(f"\nmake demo stopped: {error}", file=sys.stderr)  # noqa: T201
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
