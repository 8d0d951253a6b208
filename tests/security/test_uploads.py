"""Documents sent in the wizard: the content decides what a file is, never its name or
the type the browser claims. A program, an archive, a web page or an SVG dressed up as
a PDF or an image is refused; a real image named .pdf is taken as the image it is (and
served to agents as one); a file over 5 MB is refused with a French message."""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from family_portal.models import Enrolment, QfDocument
from family_portal.uploads import MAX_UPLOAD_SIZE
from tests.family_portal.test_wizard import Wizard, choose_children

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("attestation.pdf", PDF)
    return buffer.getvalue()


PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'

REFUSED = "ni un PDF, ni une image JPEG ou PNG"


@pytest.fixture
def wizard(client, canteen, giraud_family):
    """The wizard at its document step, for the demo identity's family."""
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    page = wizard.post("quotient", {"source": "document"}, follow=True)
    assert "Justificatif" in page.content.decode()
    return wizard


def confirm(wizard):
    wizard.post("tarif", {})
    return wizard.post("confirmation", {"accept": "on"}, follow=True)


@pytest.fixture
def document_step(wizard):
    def send(name, content, content_type="application/pdf"):
        upload = SimpleUploadedFile(name, content, content_type=content_type)
        return wizard.post("justificatif", {"kind": "caf", "file": upload})

    return send


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("attestation.pdf", PE, "application/pdf"),
        ("attestation.exe.pdf", PE, "application/pdf"),
        ("attestation.pdf", zip_archive(), "application/pdf"),
        ("attestation.png", HTML, "image/png"),
        ("attestation.pdf", HTML, "application/pdf"),
        ("attestation.png", SVG, "image/png"),
        ("attestation.jpg", b"GIF89a\x01\x00\x01\x00", "image/jpeg"),
        ("attestation.pdf", b" %PDF-1.4 padded", "application/pdf"),
    ],
    ids=[
        "program-as-pdf",
        "program-double-extension",
        "zip-as-pdf",
        "html-as-png",
        "html-as-pdf",
        "svg-as-png",
        "gif-as-jpeg",
        "pdf-not-at-the-start",
    ],
)
def test_a_file_that_lies_about_its_type_is_refused(
    document_step, name, content, claimed
):
    response = document_step(name, content, claimed)
    assert response.status_code == 200  # the step again, with the error
    assert REFUSED in response.content.decode()
    assert not QfDocument.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("attestation.pdf", png(), "image/png"),
        ("photo.jpg", PDF, "application/pdf"),
        ("scan", JPEG, "image/jpeg"),
        ("avis.PDF", PDF, "application/pdf"),
    ],
    ids=["png-named-pdf", "pdf-named-jpg", "jpeg-without-extension", "pdf-upper"],
)
def test_the_content_decides_what_a_file_is(
    document_step, wizard, client, agent, name, content, expected
):
    response = document_step(name, content, "application/octet-stream")
    assert response.status_code == 302, response.content.decode()[:500]
    confirm(wizard)
    document = QfDocument.objects.get()
    assert document.content_type == expected

    # The agent gets it as what it is.
    client.force_login(agent)
    response = client.get(
        reverse("family_backoffice:document_file", args=[document.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == expected
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content
    extension = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline")
    assert disposition.lower().rstrip('"').endswith(extension[expected]), disposition


def test_a_file_over_5_mb_is_refused_in_french(document_step):
    response = document_step("gros.pdf", PDF + b"0" * (MAX_UPLOAD_SIZE - len(PDF) + 1))
    html = response.content.decode()
    assert response.status_code == 200
    assert "la limite est de 5 Mo" in html
    assert not QfDocument.objects.exists()


def test_a_file_of_exactly_5_mb_goes_through_to_the_confirmation(document_step, wizard):
    # Over Django's 2.5 MB in memory, the upload is a temporary file on disk.
    content = PDF + b"0" * (MAX_UPLOAD_SIZE - len(PDF))
    response = document_step("juste.pdf", content)
    assert response.status_code == 302
    response = confirm(wizard)
    assert response.redirect_chain[-1][0].startswith(
        reverse("family_portal:enrolment_result")
    )
    document = QfDocument.objects.get()
    assert document.content_type == "application/pdf"
    assert document.file.read() == content
    assert Enrolment.objects.filter(qf_source=Enrolment.QfSource.DOCUMENT).count() == 2


def test_an_empty_file_is_refused_in_french(document_step):
    response = document_step("vide.pdf", b"")
    html = response.content.decode()
    assert response.status_code == 200
    assert "vide" in html
    assert not QfDocument.objects.exists()


def stored_wizard_files():
    from family_portal.wizard import EnrolmentWizard

    location = Path(EnrolmentWizard.file_storage.location)
    return sorted(path for path in location.rglob("*") if path.is_file())


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("gros.pdf", PDF + b"0" * (MAX_UPLOAD_SIZE + 1), "la limite est de 5 Mo"),
        ("dessin.svg", SVG, REFUSED),
    ],
    ids=["over-5-mb", "svg"],
)
def test_the_previous_step_button_checks_the_file_too(
    wizard, client, name, content, message
):
    before = stored_wizard_files()
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = wizard.post(
        "justificatif",
        {"kind": "caf", "file": upload},
        wizard_goto_step="quotient",
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "n&#x27;a pas été gardé" in html or "n'a pas été gardé" in html
    assert message in html
    assert stored_wizard_files() == before
    assert not QfDocument.objects.exists()


def test_each_resend_replaces_the_stored_file(wizard):
    before = stored_wizard_files()
    for name in ("un.pdf", "deux.pdf", "trois.pdf"):
        upload = SimpleUploadedFile(name, PDF, content_type="application/pdf")
        wizard.post("justificatif", {"kind": "caf", "file": upload})
        upload = SimpleUploadedFile(name, PDF, content_type="application/pdf")
        wizard.post(
            "justificatif", {"kind": "caf", "file": upload}, wizard_goto_step="quotient"
        )
    assert len(set(stored_wizard_files()) - set(before)) <= 1
    assert not QfDocument.objects.exists()  # until the confirmation
