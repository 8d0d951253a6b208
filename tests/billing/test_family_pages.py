"""The family's side: Mes factures, an invoice's lines, its PDF (laid out once, PDF/UA),
the e-mail; a parent sees only their own family's invoices."""

import pikepdf
import pytest
from django.core import mail
from django.urls import reverse

from family_portal.billing import corrections, tasks
from family_portal.billing.models import Invoice
from tests.factories import UserFactory
from tests.family_portal.factories import ChildFactory, FamilyFactory

from .conftest import after, september

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(regie, booked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start(regie, september(), dry_run=False, today=after(september()))
    return Invoice.objects.get()


def test_the_invoice_is_laid_out_once_tagged_and_e_mailed(invoice, parent):
    assert invoice.pdf, "laid out in the background right after the run"
    with invoice.pdf.open("rb") as stored, pikepdf.open(stored) as pdf:
        assert str(pdf.Root.Lang) == "fr"
        assert "/StructTreeRoot" in pdf.Root  # tagged (PDF/UA-1)
        assert str(pdf.docinfo["/Title"]).startswith(f"Facture {invoice.number}")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [parent.email]
    assert invoice.number in message.subject
    assert message.attachments[0][0] == f"facture-{invoice.number}.pdf"
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None
    name = invoice.pdf.name
    tasks.lay_out_invoices.enqueue([invoice.pk])
    invoice.refresh_from_db()
    assert invoice.pdf.name == name and len(mail.outbox) == 1


def test_mes_factures_lists_status_balance_and_lines_by_child(client, parent, invoice):
    client.force_login(parent)
    page = client.get(reverse("family_portal:billing:list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Facture n° {invoice.number}" in text
    assert "restent à payer" in text
    detail = client.get(reverse("family_portal:billing:detail", args=[invoice.pk]))
    text = detail.content.decode()
    assert (
        "Léa — Restauration scolaire" in text and "Tom — Restauration scolaire" in text
    )
    assert "présence réservée" in text
    assert "délibération 2025-041" in text
    pdf = client.get(reverse("family_portal:billing:pdf", args=[invoice.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_a_credit_note_shows_on_the_family_side(client, parent, invoice, agent):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "lay_out_on_commit", lambda ids: None)
        note = corrections.issue_credit_note(
            invoice, "3.50", "Repas non servi", user=agent
        )
    client.force_login(parent)
    text = client.get(reverse("family_portal:billing:list")).content.decode()
    assert f"Avoir n° {note.number}" in text
    detail = client.get(reverse("family_portal:billing:detail", args=[invoice.pk]))
    assert "Repas non servi" in detail.content.decode()


def test_a_parent_sees_only_their_own_invoices(client, invoice):
    stranger = UserFactory(username="martin")
    other = FamilyFactory(name="Famille Martin", users=[stranger])
    ChildFactory(family=other)
    client.force_login(stranger)
    assert (
        invoice.number
        not in client.get(reverse("family_portal:billing:list")).content.decode()
    )
    for name in ("detail", "pdf"):
        url = reverse(f"family_portal:billing:{name}", args=[invoice.pk])
        assert client.get(url).status_code == 404
    for bad in ("abc", "0", "99999999999999999999"):
        assert client.get(f"/espace-famille/factures/{bad}/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, invoice):
    response = client.get(reverse("family_portal:billing:detail", args=[invoice.pk]))
    assert response.status_code == 302
    assert invoice.number not in response.content.decode()


def test_an_invoice_s_groups_read_no_service_page_and_two_queries(invoice):
    """The PDFs of a whole run are laid out from these groups: reading the service's
    page (a Wagtail page) and its rules document were read with each line."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from family_portal.billing.grouping import groups_of

    invoice = Invoice.objects.get(pk=invoice.pk)
    with CaptureQueriesContext(connection) as queries:
        groups = groups_of(invoice)
    assert len(queries.captured_queries) == 2
    assert not any("wagtailcore_page" in q["sql"] for q in queries.captured_queries)
    assert [group.title for group in groups] == [
        "Léa — Restauration scolaire",
        "Tom — Restauration scolaire",
    ]
    assert all("délibération 2025-041" in group.deliberation for group in groups)
    assert all(group.tariff and group.lines for group in groups)
    assert sum(group.total for group in groups) == invoice.total


def test_the_pdf_shows_each_line_s_date_case_explanation_and_calculation(invoice):
    """Quantity and unit price share one cell of the PDF's table ("1 × 3,50 €"):
    five cells a line instead of six, nothing left out (each cell costs the layout)."""
    import re

    from family_portal.billing import documents
    from family_portal.certificates.content import commune_settings

    html = documents.render_html(invoice, commune_settings())
    rows = re.findall(r"<tr>(<td>.*?)</tr>", html)
    assert len(rows) == invoice.lines.count()
    first = invoice.lines.order_by("position", "pk").first()
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[0])
    assert cells == [
        first.date.strftime("%d/%m/%Y"),
        "Présence réservée",
        first.explanation,
        "1 × 3,50 €",
        "3,50 €",
    ]
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html)
    assert headers[:5] == ["Date", "Cas", "Explication", "Quantité × prix", "Montant"]


def test_a_batch_s_pages_read_lines_guardians_rules_and_site_once(invoice):
    """Laying out a run's PDFs read each invoice's lines, rules documents, guardians
    and the site's address again, seven queries an invoice: a batch reads them once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from family_portal.billing import documents
    from family_portal.certificates.content import commune_settings

    commune = commune_settings()
    batch = documents._invoices([invoice.pk])
    shared = {"portal": documents.portal_url(), "rules": {}}
    documents.render_html(batch[0], commune, "", **shared)  # the batch's first page
    again = documents._invoices([invoice.pk])[0]
    with CaptureQueriesContext(connection) as queries:
        html = documents.render_html(again, commune, "", **shared)
    read = " ".join(q["sql"] for q in queries.captured_queries)
    for table in (
        "billing_invoiceline",
        "billing_rulesversion",
        "family_portal_guardian",
        "wagtailcore_site",
    ):
        assert table not in read
    assert "Restauration scolaire" in html and "délibération 2025-041" in html
    assert html.count('<td class="c-calc">') == invoice.lines.count()
