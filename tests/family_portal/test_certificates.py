"""Tariff certificates: content of the PDF, numbering, replacement, parents' downloads."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.urls import reverse

from family_portal import enrolment
from family_portal.certificates import rendering, services
from family_portal.certificates.fetcher import BASE_URL, LocalFilesFetcher
from family_portal.certificates.numbering import allocate_numbers
from family_portal.models import Certificate, Enrolment, EnrolmentPriceChange
from tests.dates import french_date, qf_month

from .certificate_helpers import commune, enrol, pdf_pages, pdf_text
from .factories import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db


def test_pdf_says_what_domain_md_asks(canteen, giraud_family):
    lea = enrol(giraud_family, canteen)[0]
    certificate = services.current_certificate(lea)
    pdf = services.certificate_pdf(certificate)
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    for expected in (
        "Ville de Test",
        "SIRET 219 999 992 00015",
        "Service Enfance et Éducation",
        "Attestation de tarif",
        certificate.number,
        "Famille Giraud",
        "Anne Giraud",
        "Léa Giraud",
        "Restauration scolaire",
        "3,40 € par repas",
        "1 200 €",  # the QF used
        f"CAF, mois de référence : {french_date(qf_month(), 'F Y')}",
        "API Particulier",
        "Tranche 3",
        "délibération tarifs restauration 2022 du 1er juillet 2022",
        "du mois suivant, sans effet rétroactif",
        "Pour le maire et par délégation",
        "Claire Martin",
        "Adjointe au maire chargée de l'éducation",
        "Responsable du traitement",
        "CNIL",
        "tribunal administratif",
        "deux mois",
        "/attestations/verifier/",
    ):
        assert expected in text.replace("\u202f", " "), expected
    assert certificate.number.startswith(f"ATT-{datetime.date.today().year}-")


def test_pdf_metadata_language_and_tags(canteen, giraud_family):
    import io

    from pypdf import PdfReader

    certificate = services.current_certificate(enrol(giraud_family, canteen)[0])
    reader = PdfReader(io.BytesIO(services.certificate_pdf(certificate)))
    assert reader.metadata.title == f"Attestation de tarif {certificate.number}"
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "fr"
    assert "/StructTreeRoot" in catalog  # tagged PDF
    assert catalog["/MarkInfo"]["/Marked"]


def test_without_qf_the_default_tariff_is_said(canteen, giraud_family):
    item = enrol(giraud_family, canteen, qf_value=None)[0]
    text = pdf_text(services.certificate_pdf(services.current_certificate(item)))
    assert "Sans justificatif : tarif par défaut" in text
    assert "3,50 € par repas" in text


def test_user_text_is_escaped_in_the_pdf_html(canteen):
    family = FamilyFactory(name="<script>alert(1)</script> & Cie")
    GuardianFactory(family=family, first_name="<b>Anne</b>")
    ChildFactory(family=family, first_name="Zoé & <i>Léo</i>")
    certificate = services.current_certificate(enrol(family, canteen)[0])
    html = rendering.render_html(certificate, commune_settings=commune())
    assert "<script>" not in html and "<b>Anne" not in html and "<i>Léo" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cie" in html
    text = pdf_text(services.certificate_pdf(certificate))
    assert "<script>alert(1)</script> & Cie" in text
    assert "Zoé & <i>Léo</i>" in text


def test_fetcher_refuses_everything_but_our_files(settings):
    fetcher = LocalFilesFetcher()
    css = fetcher.fetch(f"{BASE_URL}static/certificates/certificate.css")
    assert b"@page" in css.read()
    for url in (
        "http://example.org/logo.png",
        "https://attestation.invalid.example.org/static/x.css",
        "file:///etc/passwd",
        f"{BASE_URL}static/../../../../etc/passwd",
        f"{BASE_URL}media/../../etc/passwd",
        f"{BASE_URL}autre/chose.css",
        "data:text/css,body{}",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_rendering_fetches_nothing_else(canteen, giraud_family, monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("network access while rendering")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    certificate = services.current_certificate(enrol(giraud_family, canteen)[0])
    services.certificate_pdf(certificate)
    assert rendering.resources().fetcher.refused == []


def test_commune_logo_is_rendered_from_media(canteen, giraud_family):
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    logo = Image.objects.create(title="Logo", file=get_test_image_file())
    commune(logo=logo)
    certificate = services.current_certificate(enrol(giraud_family, canteen)[0])
    html = rendering.render_html(certificate, commune_settings=commune(logo=logo))
    assert f'src="{BASE_URL}media/images/' in html
    pdf = services.certificate_pdf(certificate)
    assert b"/Subtype /Image" in pdf
    assert rendering.resources().fetcher.refused == []


# --- Laid out once, kept with the certificate -----------------------------------------


def test_the_pdf_is_laid_out_once_and_kept_privately(
    canteen, giraud_family, monkeypatch, settings
):
    from pathlib import Path

    certificate = services.current_certificate(enrol(giraud_family, canteen)[0])
    assert not certificate.pdf
    first = services.certificate_pdf(certificate)
    stored = Certificate.objects.get(pk=certificate.pk).pdf
    # Numbers are unique; the tests' numbers repeat, so Django suffixes the name.
    assert Path(stored.name).name.startswith(f"attestation-{certificate.number}")
    path = Path(stored.path)
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert path.read_bytes() == first

    def no_layout(*args, **kwargs):
        raise AssertionError("laid out again")

    monkeypatch.setattr(rendering, "render_one", no_layout)
    again = Certificate.objects.get(pk=certificate.pk)
    assert services.certificate_pdf(again) == first


def test_a_lost_pdf_is_laid_out_again(canteen, giraud_family):
    from pathlib import Path

    certificate = services.current_certificate(enrol(giraud_family, canteen)[0])
    services.certificate_pdf(certificate)
    Path(certificate.pdf.path).unlink()
    pdf = services.certificate_pdf(Certificate.objects.get(pk=certificate.pk))
    assert certificate.number in pdf_text(pdf)
    assert Path(Certificate.objects.get(pk=certificate.pk).pdf.path).is_file()


def test_when_two_processes_lay_it_out_one_file_is_kept(canteen, giraud_family):
    from pathlib import Path

    certificate = services.current_certificate(enrol(giraud_family, canteen)[0])
    other = Certificate.objects.get(pk=certificate.pk)  # the other process's copy
    services.certificate_pdf(other)
    folder = Path(other.pdf.path).parent
    files = set(folder.iterdir())
    services.store_pdf(certificate, b"%PDF-1.7 ours")  # ours comes second
    assert certificate.pdf.name == other.pdf.name
    assert set(folder.iterdir()) == files  # ours deleted
    assert Path(other.pdf.path).read_bytes().startswith(b"%PDF-")
    assert b"ours" not in Path(other.pdf.path).read_bytes()


def test_deleting_a_certificate_deletes_its_pdf(canteen, giraud_family):
    from pathlib import Path

    certificate = services.current_certificate(enrol(giraud_family, canteen)[0])
    services.certificate_pdf(certificate)
    path = Path(certificate.pdf.path)
    assert path.is_file()
    certificate.delete()
    assert not path.exists()


def test_a_final_tariff_gets_its_pdf_ready_after_commit(
    canteen, giraud_family, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lea, tom = enrol(giraud_family, canteen)
    certificates = Certificate.objects.order_by("enrolment__child__first_name")
    assert [item.enrolment for item in certificates] == [lea, tom]
    for certificate in certificates:
        assert certificate.status == Certificate.Status.CURRENT
        assert certificate.number in pdf_text(certificate.pdf.read())


def test_a_provisional_tariff_gets_no_certificate_after_commit(
    canteen, giraud_family, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.confirm(
            giraud_family,
            commune(),
            canteen.periods.get(),
            list(giraud_family.children.all()),
            enrolment.QfChoice(Enrolment.QfSource.UNAVAILABLE),
        )
    assert not Certificate.objects.exists()


def test_repricing_lays_out_the_replacement_after_commit(
    canteen, giraud_family, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lea = enrol(giraud_family, canteen)[0]
    old = Certificate.objects.get(enrolment=lea)
    record = lea.quotient
    record.value = Decimal("600")
    record.save()
    with django_capture_on_commit_callbacks(execute=True):
        enrolment.reprice(
            lea,
            commune(),
            enrolment.QfChoice(Enrolment.QfSource.API, record),
            kind=EnrolmentPriceChange.Kind.QF_REFRESH,
            reason="Nouveau quotient",
        )
    old.refresh_from_db()
    new = Certificate.objects.get(enrolment=lea, status=Certificate.Status.CURRENT)
    assert old.status == Certificate.Status.REPLACED and old.replaced_by == new
    assert "1,00 € par repas" in pdf_text(new.pdf.read())
    assert "3,40 € par repas" in pdf_text(old.pdf.read())  # as it was issued


def test_the_same_certificate_while_the_tariff_holds(canteen, giraud_family):
    lea, tom = enrol(giraud_family, canteen)
    first = services.current_certificate(lea)
    assert services.current_certificate(lea) == first
    assert services.current_certificate(tom).number != first.number
    assert Certificate.objects.count() == 2


def test_no_certificate_before_the_qf_is_final(canteen, giraud_family):
    commune()
    pending = enrolment.confirm(
        giraud_family,
        commune(),
        canteen.periods.get(),
        list(giraud_family.children.all()),
        enrolment.QfChoice(Enrolment.QfSource.UNAVAILABLE),
    )[0]
    assert pending.status == Enrolment.Status.QF_PENDING
    with pytest.raises(services.NotEligible, match="quotient familial"):
        services.current_certificate(pending)
    assert not Certificate.objects.exists()


def test_repricing_replaces_the_certificate(canteen, giraud_family):
    lea = enrol(giraud_family, canteen)[0]
    old = services.current_certificate(lea)
    record = lea.quotient
    record.value = Decimal("600")
    record.save()
    change = enrolment.reprice(
        lea,
        commune(),
        enrolment.QfChoice(Enrolment.QfSource.API, record),
        kind=EnrolmentPriceChange.Kind.QF_REFRESH,
        reason="Nouveau quotient",
    )
    assert change is not None
    lea.refresh_from_db()
    new = services.replace_outdated(lea)
    old.refresh_from_db()
    assert new.number != old.number
    assert old.status == Certificate.Status.REPLACED
    assert old.replaced_by == new
    assert old.content["price"] == "3,40 €"  # never edited
    assert new.content["price"] == "1,00 €"
    # A change of situation applies from the following month, never retroactively
    # (and not before the period starts, in summer).
    priced = lea.priced_at.date()
    following_month = (priced.replace(day=1) + datetime.timedelta(days=32)).replace(
        day=1
    )
    assert new.valid_from == max(following_month, lea.period.start)
    assert "1,00 € par repas" in pdf_text(services.certificate_pdf(new))
    # Asking again changes nothing.
    assert services.current_certificate(lea) == new


def test_download_reissues_when_the_snapshot_changed(canteen, giraud_family):
    lea = enrol(giraud_family, canteen)[0]
    old = services.current_certificate(lea)
    Enrolment.objects.filter(pk=lea.pk).update(
        amount=Decimal("2.00"), price_overridden=True
    )
    lea.refresh_from_db()
    new = services.current_certificate(lea)
    old.refresh_from_db()
    assert (old.status, new.status) == ("replaced", "current")
    assert new.amount == Decimal("2.00")


def test_numbers_are_consecutive_and_unique(db):
    from django.db import transaction

    with transaction.atomic():
        first = allocate_numbers(2026, 3)
    with transaction.atomic():
        second = allocate_numbers(2026, 1)
    assert first == ["ATT-2026-000001", "ATT-2026-000002", "ATT-2026-000003"]
    assert second == ["ATT-2026-000004"]
    with transaction.atomic():
        assert allocate_numbers(2027, 1) == ["ATT-2027-000001"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_collide():
    from django.db import connection, transaction

    results, errors = [], []

    def worker():
        try:
            for _ in range(5):
                with transaction.atomic():
                    results.extend(allocate_numbers(2030, 2))
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == len(set(results)) == 80


# --- The parents' space -------------------------------------------------------------


def test_parent_downloads_own_certificate(client, canteen, giraud_family):
    lea = enrol(giraud_family, canteen)[0]
    client.force_login(giraud_family.users.get())
    dashboard = client.get(reverse("family_portal:dashboard")).content.decode()
    url = reverse("family_portal:certificate", args=[lea.reference])
    assert url in dashboard
    assert "Télécharger l'attestation" in dashboard
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert (
        "no-store" in response["Cache-Control"]
        or "max-age=0" in response["Cache-Control"]
    )
    certificate = Certificate.objects.get()
    assert certificate.number in pdf_text(response.content)


def test_another_parent_gets_a_404(client, canteen, giraud_family):
    lea = enrol(giraud_family, canteen)[0]
    intruder = FamilyFactory()
    client.force_login(intruder.users.get())
    response = client.get(reverse("family_portal:certificate", args=[lea.reference]))
    assert response.status_code == 404
    assert not Certificate.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, canteen, giraud_family):
    lea = enrol(giraud_family, canteen)[0]
    response = client.get(reverse("family_portal:certificate", args=[lea.reference]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_pending_enrolment_explains_instead_of_a_pdf(client, canteen, giraud_family):
    pending = enrolment.confirm(
        giraud_family,
        commune(),
        canteen.periods.get(),
        list(giraud_family.children.all())[:1],
        enrolment.QfChoice(Enrolment.QfSource.UNAVAILABLE),
    )[0]
    client.force_login(giraud_family.users.get())
    dashboard = client.get(reverse("family_portal:dashboard")).content.decode()
    url = reverse("family_portal:certificate", args=[pending.reference])
    assert url not in dashboard
    response = client.get(url, follow=True)
    assert "en cours de vérification" in response.content.decode()


def test_a_cancellation_revokes_and_a_promotion_issues_after_commit(
    canteen, giraud_family, django_capture_on_commit_callbacks
):
    from family_portal.backoffice import places

    period = canteen.periods.get()
    period.capacity = 1
    period.save()
    with django_capture_on_commit_callbacks(execute=True):
        lea, tom = enrol(giraud_family, canteen)
    assert tom.status == Enrolment.Status.WAITING
    issued = Certificate.objects.get()
    assert issued.enrolment == lea and issued.pdf
    agent = giraud_family.users.get()  # any user stands for the agent here
    with django_capture_on_commit_callbacks(execute=True):
        places.cancel(lea, reason="Déménagement", user=agent)
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.REVOKED
    promoted = Certificate.objects.get(status=Certificate.Status.CURRENT)
    assert promoted.enrolment == tom and promoted.pdf
    assert promoted.number in pdf_text(promoted.pdf.read())
