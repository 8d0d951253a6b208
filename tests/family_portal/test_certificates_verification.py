"""The public verification page: authentic and current, replaced, revoked, or unknown,
with nothing about the family."""

import pytest
from django.urls import reverse

from family_portal.certificates import services
from family_portal.models import Enrolment

from .certificate_helpers import enrol
from .factories import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(canteen, giraud_family):
    return services.current_certificate(enrol(giraud_family, canteen)[0])


def verify_url(number, token):
    return reverse("certificates:verify", args=[number, token])


def test_a_real_certificate_is_confirmed_without_family_data(client, certificate):
    response = client.get(verify_url(certificate.number, certificate.token))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Attestation authentique et en vigueur" in html
    for shown in (certificate.number, "Restauration scolaire", "3,40 € par repas"):
        assert shown in html
    for personal in ("Giraud", "Léa", "Anne", "12 rue des Écoles", "1 200", "1200"):
        assert personal not in html
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["Referrer-Policy"] == "no-referrer"
    assert (
        "no-cache" in response["Cache-Control"]
        or "max-age=0" in response["Cache-Control"]
    )


def test_a_forged_token_and_an_unknown_number_get_the_same_404(client, certificate):
    forged = client.get(verify_url(certificate.number, "A" * len(certificate.token)))
    unknown = client.get(verify_url("ATT-2026-999999", certificate.token))
    assert forged.status_code == unknown.status_code == 404
    assert forged.content == unknown.content
    assert "Attestation introuvable" in forged.content.decode()
    assert certificate.number not in forged.content.decode()


def test_the_token_is_random_and_not_the_id(canteen, giraud_family):
    lea, tom = enrol(giraud_family, canteen)
    first = services.current_certificate(lea)
    second = services.current_certificate(tom)
    assert len(first.token) >= 22
    assert first.token != second.token
    # Not derived from the id or the number (a random token may contain any digit).
    assert first.token not in {str(first.pk), first.number, second.token}


def test_a_revoked_certificate_is_rejected(client, certificate):
    services.revoke(certificate, reason="Erreur de saisie")
    response = client.get(verify_url(certificate.number, certificate.token))
    html = response.content.decode()
    assert "Attestation annulée" in html
    assert "en vigueur" not in html


def test_a_cancelled_enrolment_no_longer_verifies(client, certificate):
    Enrolment.objects.filter(pk=certificate.enrolment_id).update(status="cancelled")
    html = client.get(
        verify_url(certificate.number, certificate.token)
    ).content.decode()
    assert "Attestation annulée" in html


def test_a_replaced_certificate_says_so(client, certificate):
    # The tariff changed (an agent's correction): before any new download, the old
    # number already stops verifying as current.
    Enrolment.objects.filter(pk=certificate.enrolment_id).update(amount="2.00")
    html = client.get(
        verify_url(certificate.number, certificate.token)
    ).content.decode()
    assert "Attestation remplacée" in html
    enrolment = Enrolment.objects.get(pk=certificate.enrolment_id)
    new = services.current_certificate(enrolment)
    assert new.number != certificate.number
    html = client.get(
        verify_url(certificate.number, certificate.token)
    ).content.decode()
    assert "Attestation remplacée" in html and new.number not in html
    html = client.get(verify_url(new.number, new.token)).content.decode()
    assert "Attestation authentique et en vigueur" in html and "2,00 €" in html


def test_escaped_and_no_leak_with_hostile_names(client, canteen):
    family = FamilyFactory(name="<script>alert(1)</script>")
    GuardianFactory(family=family)
    ChildFactory(family=family, first_name="<img src=x onerror=alert(2)>")
    certificate = services.current_certificate(enrol(family, canteen)[0])
    html = client.get(
        verify_url(certificate.number, certificate.token)
    ).content.decode()
    assert "alert(1)" not in html and "onerror" not in html
