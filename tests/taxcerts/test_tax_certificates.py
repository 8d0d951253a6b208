"""The yearly tax certificate for childcare costs: amounts PAID in the calendar year for
childcare services (meals excluded), per child under 6 on 1 January, a partly paid
invoice prorated; issued in background batches, never twice, replaced when a payment
arrives late; downloaded by the parent (only their own), printed in batch by agents."""

import datetime
import io
import json
from decimal import Decimal

import pikepdf
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from family_portal.billing.models import Invoice, InvoiceLine, Regie
from family_portal.payments.models import Method
from family_portal.payments.services import record_payment
from family_portal.taxcerts import amounts, tasks
from family_portal.taxcerts.models import TaxCertificate, TaxCertificateJob
from home.models import CommuneSettings
from tests.activities.factories import ActivityIndexPageFactory, ActivityPageFactory
from tests.billing.conftest import make_rules
from tests.factories import UserFactory
from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures, by name
    agent_client_fixture,
    agent_fixture,
    groups_fixture,
)
from tests.family_portal.factories import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db

YEAR = 2025


@pytest.fixture(autouse=True)
def commune(home_page):
    settings = CommuneSettings.for_site(home_page.get_site())
    settings.name = "Ville de Test"
    settings.siret = "21450999900017"
    settings.address = "1 place de la Mairie\n45999 Ville de Test"
    settings.service_name = "Service enfance"
    settings.save()
    return settings


@pytest.fixture
def services(home_page):
    """The after-school care (childcare) and the canteen (meals: not childcare)."""
    index = ActivityIndexPageFactory(parent=home_page, slug="activites")
    regie = Regie.objects.create(name="Régie enfance", code="ENF")
    care = ActivityPageFactory(parent=index, title="Accueil périscolaire")
    canteen = ActivityPageFactory(parent=index, title="Restauration scolaire")
    make_rules(care, regie, childcare=True)
    make_rules(canteen, regie)
    return regie, care, canteen


@pytest.fixture
def family():
    family = FamilyFactory(name="Famille Martin")
    GuardianFactory(family=family, birth_name="Martin", first_name="Julie")
    return family


def child(family, first_name, birth_date):
    return ChildFactory(family=family, first_name=first_name, birth_date=birth_date)


def invoice(regie, family, issued, lines, number):
    """An issued invoice with ``lines``: (child, activity, amount)."""
    total = sum((Decimal(amount) for _, _, amount in lines), Decimal("0.00"))
    issued_invoice = Invoice.objects.create(
        regie=regie,
        family=family,
        month=issued.replace(day=1),
        number=f"ENF-{issued.year}-{number:06d}",
        issue_date=issued,
        due_date=issued + datetime.timedelta(days=30),
        total=total,
    )
    for position, (kid, activity, amount) in enumerate(lines):
        InvoiceLine.objects.create(
            invoice=issued_invoice,
            position=position,
            child=kid,
            activity=activity,
            date=issued,
            case="present",
            quantity=1,
            unit_price=Decimal(amount),
            amount=Decimal(amount),
            explanation="Ligne",
        )
    return issued_invoice


def pay(family, paid_invoice, amount, on):
    return record_payment(
        family,
        Decimal(amount),
        Method.CASH,
        received_on=on,
        recorded_by=None,
        invoices=[paid_invoice],
    )


@pytest.fixture
def year_of_payments(services, family):
    regie, care, canteen = services
    young = child(family, "Léa", datetime.date(2021, 3, 1))
    edge = child(family, "Noé", datetime.date(YEAR - 6, 1, 1))  # 6 on 1 January
    older = child(family, "Tom", datetime.date(YEAR - 7, 12, 31))  # over 6
    january = invoice(
        regie,
        family,
        datetime.date(YEAR, 1, 5),
        [
            (young, care, "40.00"),
            (young, canteen, "20.00"),  # meals: excluded
            (older, care, "30.00"),  # too old
            (edge, care, "10.00"),
        ],
        1,
    )
    december = invoice(
        regie, family, datetime.date(YEAR, 12, 5), [(young, care, "30.00")], 2
    )
    pay(family, january, "50.00", datetime.date(YEAR, 2, 10))  # half of 100,00
    pay(family, december, "10.00", datetime.date(YEAR, 12, 30))
    pay(family, december, "20.00", datetime.date(YEAR + 1, 1, 3))  # next year's
    return {
        "young": young,
        "edge": edge,
        "older": older,
        "january": january,
        "december": december,
    }


def test_paid_childcare_per_child_prorated_meals_and_older_children_excluded(
    year_of_payments, family
):
    found = amounts.paid_for_childcare(YEAR, [family.pk])
    young, edge = year_of_payments["young"], year_of_payments["edge"]
    # January: 50 paid of 100 → Léa 50 × 40/100 = 20, Noé 50 × 10/100 = 5;
    # December: 10 paid in the year.
    assert found == {family.pk: {young.pk: Decimal("30.00"), edge.pk: Decimal("5.00")}}
    assert amounts.families_concerned(YEAR) == [family.pk]
    # The next year counts the money paid then, for children still under 6.
    assert amounts.paid_for_childcare(YEAR + 1, [family.pk]) == {
        family.pk: {young.pk: Decimal("20.00")}
    }


def test_a_child_born_on_1_january_six_years_before_counts_the_day_before_not():
    assert amounts.born_from(2025) == datetime.date(2019, 1, 1)


def test_the_january_job_issues_one_tagged_certificate_per_family_once(
    year_of_payments, family, django_capture_on_commit_callbacks
):
    other = FamilyFactory(name="Famille Sans Garde")  # nothing paid: no certificate
    ChildFactory(family=other, birth_date=datetime.date(2022, 5, 5))
    with django_capture_on_commit_callbacks(execute=True):
        job = tasks.start_issue(YEAR)
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.issued) == ("done", 1, 1, 1)
    certificate = TaxCertificate.objects.get()
    assert certificate.number == f"AF-{YEAR}-000001"
    assert certificate.total == Decimal("35.00")
    assert [row["name"] for row in certificate.content["children"]] == [
        "Noé Giraud",  # the eldest first
        "Léa Giraud",
    ]
    with certificate.pdf.open("rb") as stored, pikepdf.open(stored) as pdf:
        assert str(pdf.Root.Lang) == "fr"
        assert "/StructTreeRoot" in pdf.Root  # tagged (PDF/UA-1)
        assert "Attestation fiscale 2025" in str(pdf.docinfo["/Title"])
    text = pdf_text(certificate.pdf)
    assert "21450999900017" in text and "Ville de Test" in text
    assert "30,00" in text and "5,00" in text and "35,00" in text
    # Started again: nothing issued twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = tasks.start_issue(YEAR)
    again.refresh_from_db()
    assert again.issued == 0 and TaxCertificate.objects.count() == 1


def test_a_payment_recorded_late_replaces_the_certificate(
    year_of_payments, family, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_issue(YEAR)
    first = TaxCertificate.objects.get()
    # 5,00 more on January's invoice on 31 December: Léa 5 × 40/100, Noé 5 × 10/100.
    pay(family, year_of_payments["january"], "5.00", datetime.date(YEAR, 12, 31))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_issue(YEAR)
    first.refresh_from_db()
    current = TaxCertificate.objects.get(status="current")
    assert first.status == "replaced" and first.replaced_by == current
    assert current.number == f"AF-{YEAR}-000002" and current.total == Decimal("37.50")


def pdf_text(field) -> str:
    import subprocess

    with field.open("rb") as stored:
        data = stored.read()
    result = subprocess.run(  # noqa: S603 - poppler's own tool
        ["pdftotext", "-", "-"],  # noqa: S607
        input=data,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def test_the_parent_downloads_their_own_certificate_only(
    client, year_of_payments, family, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_issue(YEAR)
    certificate = TaxCertificate.objects.get()
    parent = family.users.get()
    client.force_login(parent)
    page = client.get(reverse("family_portal:billing:list"))
    url = reverse("family_portal:taxcerts:pdf", args=[certificate.pk])
    assert url in page.text and "Attestation fiscale 2025" in page.text
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    stranger = UserFactory()
    FamilyFactory(users=[stranger])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("family_portal:taxcerts:pdf", args=["x"])).status_code == 404
    )


def test_an_agent_issues_then_prints_the_year_in_one_pdf(
    agent_client, year_of_payments, family, django_capture_on_commit_callbacks
):
    second = FamilyFactory(name="Famille Bernard")
    regie = Regie.objects.get()
    care = year_of_payments["december"].lines.get().activity
    kid = child(second, "Zoé", datetime.date(2022, 1, 1))
    paid = invoice(regie, second, datetime.date(YEAR, 3, 5), [(kid, care, "12.00")], 3)
    pay(second, paid, "12.00", datetime.date(YEAR, 3, 20))
    index = reverse("taxcerts_admin:index")
    assert agent_client.get(index).status_code == 200
    refused = agent_client.post(index, {"year": "1999", "action": "issue"})
    assert "année passée" in refused.text and not TaxCertificateJob.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(index, {"year": str(YEAR), "action": "issue"})
    assert response.status_code == 302
    assert TaxCertificate.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(index, {"year": str(YEAR), "action": "print"})
    job = TaxCertificateJob.objects.get(kind="print")
    assert response.url == reverse("taxcerts_admin:job", args=[job.pk])
    assert job.status == "done" and job.total == 2
    download = agent_client.get(reverse("taxcerts_admin:job_file", args=[job.pk]))
    data = b"".join(download.streaming_content)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 2
        assert str(pdf.Root.Lang) == "fr"


def test_a_parent_cannot_open_the_agents_screen(client, family):
    client.force_login(family.users.get())
    response = client.get(reverse("taxcerts_admin:index"))
    assert response.status_code in (302, 403)


def test_the_command_issues_a_past_year_and_refuses_another(
    year_of_payments, django_capture_on_commit_callbacks
):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("issue_tax_certificates", "--year", str(YEAR), stdout=out)
    assert json.loads(out.getvalue())["families"] == 1
    assert TaxCertificate.objects.count() == 1
    with pytest.raises(CommandError, match="past year") as error:
        call_command("issue_tax_certificates", "--year", "2999")
    assert error.value.returncode == 1


@pytest.fixture
def care_invoice(services, family):
    """Léa's after-school care, 100,00 € billed in March."""
    regie, care, _canteen = services
    young = child(family, "Léa", datetime.date(2021, 3, 1))
    return young, invoice(
        regie, family, datetime.date(YEAR, 3, 5), [(young, care, "100.00")], 7
    )


def credit_note(paid_invoice, amount, day):
    from family_portal.billing import corrections
    from family_portal.billing import tasks as billing_tasks

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(billing_tasks, "lay_out_on_commit", lambda ids: None)
        return corrections.issue_credit_note(
            paid_invoice, amount, "Accueil fermé (grève)", user=None, today=day
        )


def test_a_credit_note_before_payment_certifies_what_was_paid(care_invoice, family):
    young, care = care_invoice
    credit_note(care, "40.00", datetime.date(YEAR, 3, 20))
    pay(family, care, "60.00", datetime.date(YEAR, 4, 2))
    found = amounts.paid_for_childcare(YEAR, [family.pk])
    assert found == {family.pk: {young.pk: Decimal("60.00")}}


def test_a_credit_note_after_payment_lowers_the_amount_certified(care_invoice, family):
    young, care = care_invoice
    pay(family, care, "100.00", datetime.date(YEAR, 4, 2))
    credit_note(care, "40.00", datetime.date(YEAR, 5, 2))  # 40 back to the credit
    found = amounts.paid_for_childcare(YEAR, [family.pk])
    assert found == {family.pk: {young.pk: Decimal("60.00")}}


def test_a_cancelled_payment_is_not_certified(care_invoice, family):
    from family_portal.payments.services import reverse_payment

    young, care = care_invoice
    kept = pay(family, care, "30.00", datetime.date(YEAR, 4, 2))
    wrong = pay(family, care, "70.00", datetime.date(YEAR, 4, 3))
    reverse_payment(wrong, reason="Chèque sans provision", by=None)
    assert kept.amount == Decimal("30.00")
    found = amounts.paid_for_childcare(YEAR, [family.pk])
    assert found == {family.pk: {young.pk: Decimal("30.00")}}


def test_money_given_back_the_next_year_lowers_that_year_s_amount(
    care_invoice, services, family
):
    regie, care_service, _canteen = services
    young, care = care_invoice
    pay(family, care, "100.00", datetime.date(YEAR, 4, 2))
    assert amounts.paid_for_childcare(YEAR, [family.pk]) == {
        family.pk: {young.pk: Decimal("100.00")}
    }
    # The next year: 50 € of care paid, and a credit note of 40 € on last year's.
    following = invoice(
        regie,
        family,
        datetime.date(YEAR + 1, 2, 5),
        [(young, care_service, "50.00")],
        8,
    )
    pay(family, following, "50.00", datetime.date(YEAR + 1, 2, 20))
    credit_note(care, "40.00", datetime.date(YEAR + 1, 3, 2))
    found = amounts.paid_for_childcare(YEAR + 1, [family.pk])
    assert found == {family.pk: {young.pk: Decimal("10.00")}}
    # Never below 0: a family given back more than it paid that year gets nothing.
    credit_note(following, "50.00", datetime.date(YEAR + 1, 3, 3))
    assert amounts.paid_for_childcare(YEAR + 1, [family.pk]) == {}
