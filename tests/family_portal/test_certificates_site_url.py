"""The certificates' verification link and QR code carry the site's own address (the
default Wagtail Site's root URL), never a default host or port (issue 13)."""

import pytest
from django.core.management import call_command
from wagtail.models import Site

from family_portal.certificates import pdfworker, rendering, services

from .certificate_helpers import enrol, pdf_text


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("http://127.0.0.1:8200", "http://127.0.0.1:8200/attestations/verifier/"),
        (
            "https://www.ville.example",
            "https://www.ville.example/attestations/verifier/",
        ),
    ],
)
def test_the_link_and_qr_code_use_the_sites_address(
    canteen, giraud_family, monkeypatch, address, expected
):
    call_command("set_site_url", address, stdout=None)
    encoded = []
    real_qr = pdfworker.qr_svg
    monkeypatch.setattr(
        pdfworker,
        "qr_svg",
        lambda url, number: encoded.append(url) or real_qr(url, number),
    )
    certificate = services.current_certificate(enrol(giraud_family, canteen)[0])

    url = rendering.verification_url(certificate)
    text = pdf_text(services.certificate_pdf(certificate))

    assert url.startswith(expected) and certificate.number in url
    assert url in text.replace("\n", "")
    assert encoded == [url]
    assert Site.objects.get(is_default_site=True).root_url == address
