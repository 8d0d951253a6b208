"""Agents: one certificate, revocation, and a batch as one PDF made by a background task;
`manage.py print_certificates`."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from family_portal.certificates import rendering, services
from family_portal.models import Certificate, CertificateBatch
from tests.factories import UserFactory

from .certificate_helpers import enrol, pdf_pages, pdf_text
from .factories import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    user = UserFactory(username="agent-attestations")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="print_certificate"),
    )
    return user


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def school_families(canteen):
    """Five families, one child each, in two schools; Giraud-like QF 1200."""
    enrolments = []
    for index in range(5):
        family = FamilyFactory(name=f"Famille {index}")
        GuardianFactory(family=family)
        ChildFactory(
            family=family,
            first_name=f"Enfant{index}",
            school="École A" if index < 3 else "École B",
        )
        enrolments += enrol(family, canteen)
    return enrolments


def test_agent_downloads_one_certificate(agent_client, canteen, giraud_family):
    lea = enrol(giraud_family, canteen)[0]
    response = agent_client.get(
        reverse("certificates:agent_certificate", args=[lea.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    certificate = Certificate.objects.get()
    assert certificate.number in pdf_text(response.content)


def test_agent_pages_need_the_permission(client, canteen, giraud_family):
    lea = enrol(giraud_family, canteen)[0]
    urls = [
        reverse("certificates:agent_certificate", args=[lea.pk]),
        reverse("certificates:batch_new"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("wagtailadmin_login"))
    client.force_login(giraud_family.users.get())  # a parent
    for url in urls:
        assert client.get(url).status_code == 403
    assert not Certificate.objects.exists()


def test_agent_revokes_with_a_reason(agent_client, agent, canteen, giraud_family):
    certificate = services.current_certificate(enrol(giraud_family, canteen)[0])
    url = reverse("certificates:revoke", args=[certificate.number])
    response = agent_client.post(url, {"reason": ""})
    assert response.status_code == 400
    response = agent_client.post(url, {"reason": "Erreur de saisie du QF"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate.revoked_by == agent
    # The enrolment may have a new certificate, with a new number.
    new = services.current_certificate(certificate.enrolment)
    assert new.number != certificate.number


def test_batch_task_makes_one_pdf_with_progress(
    agent_client, canteen, school_families, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            reverse("certificates:batch_new"),
            {"activity": canteen.pk, "period": "", "school": "école a"},
        )
    batch = CertificateBatch.objects.get()
    assert response["Location"] == reverse("certificates:batch_detail", args=[batch.pk])
    # The immediate backend has run the task already.
    status = agent_client.get(
        reverse("certificates:batch_status", args=[batch.pk])
    ).json()
    assert status["status"] == "done"
    assert (status["done"], status["total"], status["percent"]) == (3, 3, 100)
    page = agent_client.get(response["Location"]).content.decode()
    assert "Télécharger le PDF (3 pages)" in page
    assert 'data-batch-status="' in page and "<progress" in page
    pdf = b"".join(
        agent_client.get(reverse("certificates:batch_file", args=[batch.pk]))
    )
    assert pdf_pages(pdf) == 3
    text = pdf_text(pdf)
    assert "Enfant0" in text and "Enfant2" in text and "Enfant3" not in text
    assert Certificate.objects.count() == 3


def test_batch_with_nothing_to_print_fails_clearly(
    agent_client, canteen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(
            reverse("certificates:batch_new"), {"activity": canteen.pk, "school": ""}
        )
    batch = CertificateBatch.objects.get()
    assert batch.status == "failed"
    assert "rien à imprimer" in batch.error


def test_batch_form_refuses_a_period_of_another_activity(
    agent_client, canteen, home_page
):
    from tests.activities.factories import ActivityPageFactory

    other = ActivityPageFactory(parent=canteen.get_parent(), slug="autre")
    response = agent_client.post(
        reverse("certificates:batch_new"),
        {"activity": canteen.pk, "period": other.periods.get().pk},
    )
    assert "appartient pas à l&#x27;activité choisie" in response.content.decode()
    assert not CertificateBatch.objects.exists()


def test_certificates_laid_out_in_worker_processes_are_joined_in_order(
    canteen, school_families
):
    certificates, issued, _ = services.current_certificates(school_families)
    assert issued == 5
    done = []
    laid_out = dict(
        rendering.render_many(
            certificates,
            commune_settings=services.commune_settings(),
            chunk_size=2,
            workers=2,
            progress=done.append,
        )
    )
    assert set(laid_out) == set(certificates)
    assert len(done) == 3 and done == sorted(done) and done[-1] == 5  # 3 chunks
    for certificate, pdf in laid_out.items():
        assert pdf_pages(pdf) == 1
        assert certificate.number in pdf_text(pdf)
    joined = rendering.join_pdfs(
        [laid_out[item] for item in certificates], title="Attestations de tarif (5)"
    )
    assert pdf_pages(joined) == 5
    text = pdf_text(joined)
    positions = [text.index(item.number) for item in certificates]
    assert positions == sorted(positions)
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(joined))
    assert reader.metadata.title == "Attestations de tarif (5)"
    assert reader.trailer["/Root"]["/Lang"] == "fr"


def test_a_reprint_reads_the_stored_pdfs(canteen, school_families, monkeypatch):
    first = io.BytesIO()
    services.print_batch(school_families, first)
    stored = {item.number: item.pdf.name for item in Certificate.objects.all()}
    assert len(stored) == 5 and all(stored.values())

    def no_layout(*args, **kwargs):
        raise AssertionError("a stored certificate was laid out again")

    monkeypatch.setattr(rendering, "render_many", no_layout)
    monkeypatch.setattr(rendering, "render_one", no_layout)
    again = io.BytesIO()
    result = services.print_batch(school_families, again)
    assert (result.pages, result.issued) == (5, 0)
    assert pdf_text(again.getvalue()) == pdf_text(first.getvalue())
    assert {item.number: item.pdf.name for item in Certificate.objects.all()} == stored


# --- manage.py print_certificates -------------------------------------------------------


def test_command_writes_one_pdf_with_a_page_each(tmp_path, canteen, school_families):
    out = tmp_path / "lot.pdf"
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "print_certificates",
        "--activity",
        canteen.slug,
        "--out",
        str(out),
        stdout=stdout,
        stderr=stderr,
    )
    assert out.read_bytes().startswith(b"%PDF-")
    assert pdf_pages(out.read_bytes()) == 5
    assert "Wrote 5 certificates (5 pages)" in stdout.getvalue()
    assert "5 issued now" in stdout.getvalue()
    assert "5/5 pages" in stderr.getvalue()
    # A second run reprints the same certificates: nothing new is issued.
    call_command(
        "print_certificates",
        "--activity",
        str(canteen.pk),
        "--school",
        "École B",
        "--period",
        str(canteen.periods.get().pk),
        "--out",
        str(out),
        "--no-progress",
        stdout=stdout,
    )
    assert pdf_pages(out.read_bytes()) == 2
    assert "0 issued now" in stdout.getvalue()
    assert Certificate.objects.count() == 5


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--activity", "inconnue"], "No activity has the slug or id 'inconnue'"),
        (["--activity", "restauration", "--period", "99999"], "No single period"),
        (["--activity", "restauration", "--school", "Nulle part"], "nothing to print"),
    ],
)
def test_command_errors_are_clear(
    tmp_path, canteen, school_families, arguments, message
):
    with pytest.raises(CommandError, match=message):
        call_command("print_certificates", *arguments, "--out", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_command_refuses_a_missing_folder(tmp_path, canteen, school_families):
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "print_certificates",
            "--activity",
            "restauration",
            "--out",
            str(tmp_path / "nowhere" / "x.pdf"),
        )


def test_command_exit_code_in_a_shell(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "print_certificates",
            "--out",
            str(tmp_path / "x.pdf"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "--activity" in result.stderr


def test_the_period_link_preselects_its_activity_and_period(agent_client, canteen):
    from family_portal.backoffice.links import certificate_batch_url

    period = canteen.periods.get()
    page = agent_client.get(certificate_batch_url(period)).content.decode()
    assert f'<option value="{canteen.pk}" selected>' in page
    assert f'<option value="{period.pk}" selected>' in page


@pytest.mark.parametrize("search", ["école a", "ECOLE A", "cole A", " ecole   a "])
def test_the_school_is_found_by_part_of_its_name(canteen, school_families, search):
    found = services.batch_enrolments(canteen, school=search)
    assert sorted(item.child.first_name for item in found) == [
        "Enfant0",
        "Enfant1",
        "Enfant2",
    ]
    assert services.matching_schools(canteen, "ecole") == ["École A", "École B"]


def test_the_form_says_when_no_school_matches(agent_client, canteen, school_families):
    response = agent_client.post(
        reverse("certificates:batch_new"), {"activity": canteen.pk, "school": "Zola"}
    )
    assert "Aucune école dont le nom contient « Zola »" in response.content.decode()
    assert not CertificateBatch.objects.exists()
