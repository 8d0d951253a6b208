"""The fake PayFiP as `make demo` starts it: a process, checked to answer, whose WSDL
eopayment's client uses as is; a taken port stops the demo."""

import socket
import sys
import time

import pytest
from eopayment.payfip_ws import PayFiP, PayFiPError
from portail_site.demo import demo_services
from portail_site.servers import ServiceFailed, ServiceGroup

from tests.test_servers import free_port


def fake_payfip(port, tmp_path):
    services = demo_services(
        "127.0.0.1", free_port(), free_port(), sys.executable, fake_payfip_port=port
    )
    service = next(s for s in services if s.name == "fake PayFiP")
    service.log = tmp_path / "fakepayfip.log"
    return service


def test_the_demos_fake_payfip_speaks_eopayments_soap(tmp_path):
    port = free_port()
    with ServiceGroup() as group:
        group.start(fake_payfip(port, tmp_path))
        client = PayFiP(wsdl_url=f"http://127.0.0.1:{port}/tpa/services/securite?wsdl")
        assert client.get_info_client("000000").numcli == "000000"
        idop = client.get_idop(
            numcli="000000",
            saisie="T",
            exer="2026",
            refdet="ENF2026000042",
            montant="4250",
            mel="parent@example.org",
            url_notification="http://127.0.0.1:9/n",
            url_redirect="http://127.0.0.1:9/r",
        )
        with pytest.raises(PayFiPError) as waiting:
            client.get_info_paiement(idop)
        assert waiting.value.code == "P5"
        with pytest.raises(PayFiPError) as unknown:
            client.get_info_paiement("unknown")
        assert unknown.value.code == "P1"
        with pytest.raises(PayFiPError) as refused:
            client.get_idop(
                numcli="000000", saisie="T", exer="2026", refdet="ENF2026000043",
                montant="50", mel="parent@example.org",
                url_notification="http://127.0.0.1:9/n",
                url_redirect="http://127.0.0.1:9/r",
            )  # fmt: skip
        assert refused.value.code == "R4"  # below 1,00 €


def test_the_fake_payfips_latency_option_delays_each_soap_answer(tmp_path):
    """``--latency`` (what benchmarks/payments.py starts it with): every status call
    waits that long, from the start, and ``--quiet`` leaves no line per request."""
    port = free_port()
    service = fake_payfip(port, tmp_path)
    service.command = [*service.command, "--latency", "0.4", "--quiet"]
    with ServiceGroup() as group:
        group.start(service)
        client = PayFiP(wsdl_url=f"http://127.0.0.1:{port}/tpa/services/securite?wsdl")
        started = time.perf_counter()
        with pytest.raises(PayFiPError):
            client.get_info_paiement("unknown")
        assert time.perf_counter() - started >= 0.4
    assert "POST /tpa/services/securite" not in service.log.read_text()


def test_the_demos_fake_payfip_on_a_taken_port_stops_the_demo(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        service = fake_payfip(taken.getsockname()[1], tmp_path)
        service.timeout = 20
        with ServiceGroup() as group, pytest.raises(ServiceFailed) as failure:
            group.start(service)
    assert "fake PayFiP: stopped" in str(failure.value)


def test_the_demo_regie_takes_online_payments(db):
    from family_portal.billing.models import Regie
    from family_portal.payments.demo import load_payments_demo

    regie = Regie.objects.create(name="Régie enfance", code="ENF")
    kept = Regie.objects.create(
        name="Conservatoire", code="CON", payfip_client_number="654321"
    )
    assert load_payments_demo() == 1
    regie.refresh_from_db()
    kept.refresh_from_db()
    assert regie.payfip_client_number == "000000"
    assert kept.payfip_client_number == "654321"
