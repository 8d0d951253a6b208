"""site/servers.py: `make demo` waits for each server it starts to answer and stops with
the error (and the end of its log) when one does not (issue 13)."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from portail_site.demo import demo_services
from portail_site.servers import Service, ServiceFailed, ServiceGroup, answers

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_server(port, tmp_path, **options):
    return Service(
        "static files",
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        health_url=f"http://127.0.0.1:{port}/",
        log=tmp_path / "http.log",
        **options,
    )


def test_a_server_that_answers_is_started_and_stopped(tmp_path):
    port = free_port()
    with ServiceGroup() as group:
        service = group.start(http_server(port, tmp_path, timeout=20))
        assert answers(f"http://127.0.0.1:{port}/")
    assert service.process.poll() is not None
    assert not answers(f"http://127.0.0.1:{port}/")


def test_a_server_that_exits_fails_loudly_with_its_log(tmp_path):
    service = Service(
        "broken",
        [sys.executable, "-c", "import sys; print('no cases found'); sys.exit(2)"],
        health_url=f"http://127.0.0.1:{free_port()}/",
        log=tmp_path / "broken.log",
    )
    with ServiceGroup() as group, pytest.raises(ServiceFailed) as failure:
        group.start(service)
    assert "broken: stopped (exit code 2)" in str(failure.value)
    assert "no cases found" in str(failure.value)


def test_a_server_that_never_answers_fails_after_its_timeout(tmp_path):
    service = Service(
        "mute",
        [sys.executable, "-c", "import time; time.sleep(60)"],
        health_url=f"http://127.0.0.1:{free_port()}/",
        log=tmp_path / "mute.log",
        timeout=1.5,
    )
    started = time.monotonic()
    with ServiceGroup() as group, pytest.raises(ServiceFailed, match="does not answer"):
        group.start(service)
    assert time.monotonic() - started < 10
    assert service.process.poll() is not None  # stopped, not left behind


def test_the_demos_fake_api_on_a_taken_port_stops_the_demo(tmp_path):
    """What `make demo` did silently: the fake API cannot start, the demo goes on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        fake_api = demo_services("127.0.0.1", free_port(), port, sys.executable)[0]
        fake_api.log = tmp_path / "fakeapi.log"
        fake_api.timeout = 20
        with ServiceGroup() as group, pytest.raises(ServiceFailed) as failure:
            group.start(fake_api)
    assert "fake API Particulier: stopped" in str(failure.value)
    assert "Address already in use" in str(failure.value)


def test_the_demos_fake_api_answers_its_health_url(tmp_path):
    fake_api = demo_services("127.0.0.1", free_port(), free_port(), sys.executable)[0]
    fake_api.log = tmp_path / "fakeapi.log"
    with ServiceGroup() as group:
        group.start(fake_api)
        assert answers(fake_api.health_url)


def test_wait_reports_a_server_that_stops_later(tmp_path):
    service = Service(
        "short-lived",
        [sys.executable, "-c", "import time; time.sleep(1.5)"],
        grace=0.5,
    )
    with ServiceGroup() as group:
        group.start(service)
        with pytest.raises(ServiceFailed, match="short-lived: stopped"):
            group.wait(poll=0.1)


STOPPED_BY_SIGNAL = """
import signal, sys
from pathlib import Path
from portail_site.servers import Service, ServiceGroup, stop_on_signals

signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in the background of a shell script
stop_on_signals()
port = sys.argv[1]
try:
    with ServiceGroup() as group:
        service = group.start(Service(
            "static files",
            [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", port],
            health_url=f"http://127.0.0.1:{port}/",
            log=Path(sys.argv[2]),
        ))
        print("READY", flush=True)
        group.wait()
except KeyboardInterrupt:
    print("STOPPED", flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_every_service(tmp_path, signum):
    port = free_port()
    launcher = subprocess.Popen(  # noqa: S603 - our own code
        [sys.executable, "-c", STOPPED_BY_SIGNAL, str(port), str(tmp_path / "log")],
        cwd=REPOSITORY_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert launcher.stdout.readline().strip() == "READY"
        assert answers(f"http://127.0.0.1:{port}/")
        launcher.send_signal(signum)
        assert launcher.stdout.readline().strip() == "STOPPED"
        assert launcher.wait(timeout=15) == 0
    finally:
        launcher.kill()
        launcher.wait()
    assert not answers(f"http://127.0.0.1:{port}/")


def test_the_demos_local_franceconnect_answers_and_the_fake_api_asks_it(tmp_path):
    """`make demo` starts the local FranceConnect, and the fake API is told to ask its
    userinfo who a FranceConnect bearer is."""
    fc_port = free_port()
    services = demo_services(
        "127.0.0.1",
        free_port(),
        free_port(),
        sys.executable,
        franceconnect_port=fc_port,
    )
    fake_api, franceconnect = services[0], services[1]
    assert franceconnect.name == "local FranceConnect"
    assert f"http://127.0.0.1:{fc_port}/userinfo" in fake_api.command
    assert services[-1].env["FRANCECONNECT_URL"] == f"http://127.0.0.1:{fc_port}"
    franceconnect.log = tmp_path / "franceconnect.log"
    with ServiceGroup() as group:
        group.start(franceconnect)
        assert answers(f"http://127.0.0.1:{fc_port}/.well-known/openid-configuration")
