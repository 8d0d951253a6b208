"""The monthly debit file: which invoices, FRST then RCUR, never twice, a file that
validates against the pain.008.001.02 schema, the batch kept and downloadable again."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from lxml import etree

from family_portal.directdebit import export
from family_portal.directdebit.models import DebitBatch, DebitLine, Mandate

from .conftest import OTHER_IBAN, TODAY, make_invoice, sign

pytestmark = pytest.mark.django_db

XSD = Path(__file__).parent / "data" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


def validate(content: str):
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(content.encode("utf-8"))
    schema.assertValid(document)
    return document


@pytest.fixture
def invoices(family, regie, mandate):
    """Issued in November: one due on 15 December (in), one due on 5 December (too
    close to be sent), one with too short a notice, one paid, one credit note."""
    due_ok = make_invoice(
        family,
        regie,
        "ENF-2026-000201",
        issued=datetime.date(2026, 11, 3),
        due=datetime.date(2026, 12, 15),
        month=datetime.date(2026, 10, 1),
    )
    too_close = make_invoice(
        family,
        regie,
        "ENF-2026-000202",
        issued=datetime.date(2026, 11, 3),
        due=datetime.date(2026, 12, 2),
        month=datetime.date(2026, 9, 1),
    )
    short_notice = make_invoice(
        family,
        regie,
        "ENF-2026-000203",
        issued=datetime.date(2026, 12, 1),
        due=datetime.date(2026, 12, 10),
        month=datetime.date(2026, 11, 1),
    )
    paid = make_invoice(
        family,
        regie,
        "ENF-2026-000204",
        issued=datetime.date(2026, 11, 3),
        due=datetime.date(2026, 12, 15),
        month=datetime.date(2026, 8, 1),
    )
    paid.paid_amount = paid.total
    paid.save()
    return {"in": due_ok, "close": too_close, "short": short_notice, "paid": paid}


def test_only_invoices_after_the_notice_period_are_chosen(invoices):
    found = {c.invoice.number: c for c in export.candidates(TODAY)}
    assert found["ENF-2026-000201"].included
    assert "trop proche" in found["ENF-2026-000202"].reason
    assert "Préavis trop court" in found["ENF-2026-000203"].reason
    assert "ENF-2026-000204" not in found  # nothing left to pay


def test_families_without_an_active_mandate_are_not_debited(invoices, mandate, parent):
    from family_portal.directdebit import mandates

    mandates.revoke(mandate, user=parent)
    assert export.candidates(TODAY) == []


def test_the_file_validates_against_the_schema_and_the_batch_records_it(
    invoices, mandate, agent
):
    batch = export.export(agent, today=TODAY)
    assert batch.count == 1 and batch.total == Decimal("42.50")
    assert batch.created_by == agent
    (line,) = batch.lines.all()
    assert line.invoice == invoices["in"] and line.sequence == "FRST"
    assert line.collection_date == datetime.date(2026, 12, 15)
    document = validate(batch.content)
    assert document.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == batch.message_id
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "42.50"
    assert document.findtext(".//p:PmtTpInf/p:SeqTp", namespaces=NS) == "FRST"
    assert document.findtext(".//p:ReqdColltnDt", namespaces=NS) == "2026-12-15"
    assert (
        document.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS)
        == "FR72ZZZ123456"
    )
    assert document.findtext(".//p:MndtId", namespaces=NS) == mandate.reference
    assert document.findtext(".//p:DtOfSgntr", namespaces=NS) == "2026-10-01"
    assert document.findtext(".//p:DbtrAcct//p:IBAN", namespaces=NS) == mandate.iban
    assert "ENF-2026-000201" in document.findtext(".//p:Ustrd", namespaces=NS)


def test_the_schema_test_can_fail():
    with pytest.raises(etree.DocumentInvalid):
        validate(
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.02">'
            "<CstmrDrctDbtInitn/></Document>"
        )


def test_an_invoice_is_never_debited_twice(invoices, agent):
    export.export(agent, today=TODAY)
    assert [c for c in export.candidates(TODAY) if c.included] == []
    with pytest.raises(export.ExportRefused, match="Aucune facture"):
        export.export(agent, today=TODAY)
    # Even written behind the service's back, the database refuses a second line.
    from django.db import IntegrityError, transaction

    line = DebitLine.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        DebitLine.objects.create(
            batch=line.batch,
            invoice=line.invoice,
            mandate=line.mandate,
            amount=line.amount,
            sequence="RCUR",
            collection_date=line.collection_date,
            end_to_end_id="AUTRE",
        )


def test_first_debit_frst_then_rcur_and_a_new_mandate_starts_again(
    family, regie, parent, invoices, agent
):
    export.export(agent, today=TODAY)
    later = make_invoice(
        family,
        regie,
        "ENF-2027-000001",
        issued=datetime.date(2026, 12, 2),
        due=datetime.date(2027, 1, 15),
        month=datetime.date(2026, 12, 1),
    )
    [batch] = [export.export(agent, today=datetime.date(2026, 12, 20))]
    assert batch.lines.get().invoice == later
    assert batch.lines.get().sequence == "RCUR"
    validate(batch.content)
    # A new mandate (another account): its first debit is FRST again.
    sign(family, parent, iban=OTHER_IBAN, signed_on=datetime.date(2026, 12, 20))
    assert Mandate.objects.filter(status="replaced").count() == 1
    again = make_invoice(
        family,
        regie,
        "ENF-2027-000002",
        issued=datetime.date(2027, 1, 4),
        due=datetime.date(2027, 1, 30),
        month=datetime.date(2027, 1, 1),
    )
    batch = export.export(agent, today=datetime.date(2027, 1, 10))
    line = batch.lines.get()
    assert line.invoice == again and line.sequence == "FRST"
    assert validate(batch.content).findtext(".//p:SeqTp", namespaces=NS) == "FRST"


def test_agents_export_with_their_permission_and_download_the_file_again(
    agent_client, invoices
):
    page = agent_client.get(reverse("directdebit_admin:batch_list"))
    assert page.status_code == 200 and "ENF-2026-000201" in page.content.decode()
    response = agent_client.post(reverse("directdebit_admin:batch_export"))
    batch = DebitBatch.objects.get()
    assert response.status_code == 302
    file = agent_client.get(reverse("directdebit_admin:batch_file", args=[batch.pk]))
    assert file["Content-Disposition"].startswith("attachment")
    assert file.content.decode() == batch.content
    validate(file.content.decode())


def test_export_needs_its_own_permission(client, agent, invoices):
    from django.contrib.auth.models import Permission

    agent.user_permissions.remove(
        *Permission.objects.filter(codename="export_debitbatch")
    )
    agent.groups.first().permissions.remove(
        Permission.objects.get(codename="export_debitbatch")
    )
    client.force_login(agent)
    assert client.get(reverse("directdebit_admin:batch_list")).status_code == 200
    response = client.post(reverse("directdebit_admin:batch_export"))
    # Wagtail turns the view's PermissionDenied into a redirect to the admin's home.
    assert response.status_code == 403 or response["Location"] == "/admin/"
    assert not DebitBatch.objects.exists()


def test_parents_cannot_reach_the_agents_screens(client, parent, invoices):
    client.force_login(parent)
    response = client.post(reverse("directdebit_admin:batch_export"))
    assert response.status_code in {302, 403}
    assert not DebitBatch.objects.exists()
