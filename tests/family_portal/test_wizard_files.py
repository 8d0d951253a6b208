"""The files sent in the enrolment wizard go as soon as nobody needs them: at the
confirmation, at sign-out, and through the hourly purge of abandoned wizards (after
which a parent coming back is asked to send the file again, not shown an error)."""

import io
import os
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from family_portal import periodic
from family_portal.models import Enrolment, QfDocument
from tests.family_portal.test_wizard import document_path, send
from tests.security.test_uploads import stored_wizard_files

pytestmark = pytest.mark.django_db


def age(path, seconds):
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


@pytest.fixture
def sent(client, canteen, giraud_family, api_particulier):
    """A parent who sent a document and left on the price step: its file."""
    before = set(stored_wizard_files())
    wizard = document_path(client, canteen, giraud_family)
    send(wizard, "attestation.pdf")
    (path,) = set(stored_wizard_files()) - before
    return wizard, path


def purge_wizard_uploads(*args):
    out = io.StringIO()
    call_command("purge_wizard_uploads", *args, stdout=out)
    return out.getvalue()


def test_the_purge_deletes_files_older_than_the_short_age(sent):
    _, path = sent
    assert settings.WIZARD_UPLOAD_MAX_AGE <= 6 * 3600  # hours, not a session's weeks
    age(path, settings.WIZARD_UPLOAD_MAX_AGE - 60)
    assert "deleted: 0" in purge_wizard_uploads()
    assert path.exists()

    age(path, settings.WIZARD_UPLOAD_MAX_AGE + 60)
    assert "to delete: 1" in purge_wizard_uploads("--dry-run")
    assert path.exists()
    assert "deleted: 1" in purge_wizard_uploads()
    assert not path.exists()


def test_the_purge_is_an_hourly_periodic_job(sent):
    _, path = sent
    job = periodic.job("purge_wizard_uploads")
    assert job.schedule.minute is not None and job.schedule.hour is None
    age(path, settings.WIZARD_UPLOAD_MAX_AGE + 60)

    call_command("run_periodic_jobs", once="purge_wizard_uploads", stdout=io.StringIO())

    assert not path.exists()


def test_a_parent_back_after_the_purge_sends_the_file_again(sent, client):
    wizard, path = sent
    path.unlink()  # the purge went by

    # The confirmation re-checks every step: the document step is asked again.
    wizard.post("tarif", {})
    response = wizard.post("confirmation", {"accept": "on"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == wizard.url("justificatif")
    assert "n&#x27;est plus conservé" in html or "n'est plus conservé" in html
    assert not Enrolment.objects.exists()

    page = send(wizard, "attestation.pdf")
    assert "Tarif" in page.content.decode()
    wizard.post("tarif", {})
    wizard.post("confirmation", {"accept": "on"}, follow=True)
    assert Enrolment.objects.count() == 2
    assert QfDocument.objects.get().original_name == "attestation.pdf"


def test_the_document_step_shown_again_after_the_purge(sent, client):
    wizard, path = sent
    path.unlink()
    response = client.get(wizard.url("justificatif"))
    assert response.status_code == 200
    assert "plus conservé" in response.content.decode()


def test_signing_out_deletes_the_wizard_files(sent, client):
    _, path = sent
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not path.exists()
