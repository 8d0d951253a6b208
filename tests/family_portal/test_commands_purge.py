"""`manage.py purge_personal_data`: QF records, documents,
certificate batches and call logs past their retention; --dry-run counts and deletes
nothing."""

import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Site

from family_portal.models import (
    Enrolment,
    FamilyServiceSettings,
    QfDocument,
    QuotientRecord,
)
from qf_connector.models import ApiCallLog, months_before

from .backoffice_support import (
    commune_fixture,  # noqa: F401 - fixture
    document,
    enrol,
    period_of,
)

pytestmark = pytest.mark.django_db


def record(family, valid_until, doc=None):
    return QuotientRecord.objects.create(
        family=family,
        value=Decimal("800"),
        provider="tax",
        source=QuotientRecord.Source.DOCUMENT,
        month=valid_until.replace(day=1) - datetime.timedelta(days=300),
        valid_from=valid_until - datetime.timedelta(days=300),
        valid_until=valid_until,
        document=doc,
    )


def checked(doc, status, days_ago):
    doc.status = status
    doc.checked_at = timezone.now() - datetime.timedelta(days=days_ago)
    doc.save()
    return doc


def call_log(months_ago):
    return ApiCallLog.objects.create(
        endpoint="/v3/dss/quotient_familial/identite",
        started_at=months_before(timezone.now(), months_ago),
        duration_ms=10,
    )


@pytest.fixture
def data(canteen, giraud_family, commune):
    today = datetime.date.today()
    old_doc = checked(document(giraud_family), QfDocument.Status.ACCEPTED, 400)
    expired = record(giraud_family, today - datetime.timedelta(days=40), old_doc)
    current_doc = checked(document(giraud_family), QfDocument.Status.ACCEPTED, 10)
    current = record(giraud_family, today + datetime.timedelta(days=200), current_doc)
    item = enrol(
        giraud_family,
        commune,
        period_of(canteen),
        source=Enrolment.QfSource.RECORD,
        quotient=expired,
    )[0]
    return {
        "expired": expired,
        "old_doc": old_doc,
        "current": current,
        "current_doc": current_doc,
        "enrolment": item,
        "rejected_old": checked(
            document(giraud_family), QfDocument.Status.REJECTED, 130
        ),
        "rejected_recent": checked(
            document(giraud_family), QfDocument.Status.REJECTED, 20
        ),
        "pending_old": document(giraud_family),
        "log_old": call_log(37),
        "log_recent": call_log(35),
    }


def purge(*args):
    out = StringIO()
    call_command("purge_personal_data", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_dry_run_counts_and_deletes_nothing(data):
    out = purge("--dry-run")
    assert "à supprimer" in out
    assert "quotients familiaux : 1" in out
    assert "justificatifs : 2" in out  # the expired QF's document, the old rejection
    assert "appels à API Particulier (36 mois) : 1" in out
    assert QuotientRecord.objects.count() == 2
    assert QfDocument.objects.count() == 5
    assert ApiCallLog.objects.count() == 2
    assert Path(data["old_doc"].file.path).exists()


def test_the_purge_deletes_what_is_past_its_retention(data):
    old_file = Path(data["old_doc"].file.path)
    out = purge()
    assert "supprimés" in out and "quotients familiaux : 1" in out
    assert list(QuotientRecord.objects.all()) == [data["current"]]
    assert set(QfDocument.objects.values_list("pk", flat=True)) == {
        data["current_doc"].pk,
        data["rejected_recent"].pk,
        data["pending_old"].pk,
    }
    assert not old_file.exists()
    assert Path(data["current_doc"].file.path).exists()
    assert list(ApiCallLog.objects.all()) == [data["log_recent"]]
    # The enrolment keeps the QF it was priced with.
    item = Enrolment.objects.get(pk=data["enrolment"].pk)
    assert item.quotient is None and item.qf_value == Decimal("800")
    # Rerun: nothing left.
    out = purge()
    assert "quotients familiaux : 0" in out and "justificatifs : 0" in out


def test_the_retention_comes_from_the_family_service_rules(data):
    rules = FamilyServiceSettings.for_site(Site.objects.get(is_default_site=True))
    rules.qf_retention_months = 3
    rules.document_retention_months = 6
    rules.save()
    out = purge("--dry-run")
    # The QF ended 40 days ago: kept 3 months; the rejection of 130 days: kept 6 months.
    assert "quotients familiaux : 0" in out and "justificatifs : 0" in out


def test_the_qf_command_and_this_one_share_the_call_log_purge(data):
    out = StringIO()
    call_command("qf", "purge", "--dry-run", stdout=out)
    assert '"a_supprimer": 1' in out.getvalue()


def test_certificate_batches_go_after_their_retention(data, canteen):
    from django.core.files.base import ContentFile

    from family_portal.models import CertificateBatch

    def batch(days_ago):
        item = CertificateBatch.objects.create(
            activity=canteen, status=CertificateBatch.Status.DONE
        )
        item.file.save("lot.pdf", ContentFile(b"%PDF-1.7 lot"))
        CertificateBatch.objects.filter(pk=item.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
        return item

    old, recent = batch(31), batch(29)
    old_file, recent_file = Path(old.file.path), Path(recent.file.path)
    assert "lots d'attestations à imprimer : 1" in purge("--dry-run")
    assert old_file.exists()
    assert "lots d'attestations à imprimer : 1" in purge()
    assert list(CertificateBatch.objects.all()) == [recent]
    assert not old_file.exists() and recent_file.exists()
    rules = FamilyServiceSettings.for_site(Site.objects.get(is_default_site=True))
    rules.batch_retention_days = 7
    rules.save()
    assert "lots d'attestations à imprimer : 1" in purge()
    assert not CertificateBatch.objects.exists() and not recent_file.exists()
