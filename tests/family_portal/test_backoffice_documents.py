"""Checking the documents families send: the QF entered or computed from a tax notice,
accept (record, settled enrolments, e-mail) or reject (reason e-mailed)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import Site

from family_portal.models import (
    AgentAction,
    Enrolment,
    EnrolmentPriceChange,
    FamilyServiceSettings,
    QfDocument,
    QuotientRecord,
    TaxNoticeRule,
)
from tests.dates import school_year

from .backoffice_support import (  # noqa: F401 - fixtures
    agent_client_fixture,
    agent_fixture,
    commune_fixture,
    document,
    editor_fixture,
    enrol,
    groups_fixture,
    period_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_for_document(canteen, giraud_family, commune):
    """Léa and Tom enrolled with a document to check: provisional price 3,50 €."""
    enrolments = enrol(
        giraud_family, commune, period_of(canteen), source=Enrolment.QfSource.DOCUMENT
    )
    assert {item.status for item in enrolments} == {Enrolment.Status.QF_PENDING}
    assert {item.amount for item in enrolments} == {Decimal("3.50")}
    return document(giraud_family)


def check_url(doc):
    return reverse("family_backoffice:document_check", args=[doc.pk])


def test_the_check_page_shows_the_document_and_the_family(
    agent_client, waiting_for_document
):
    html = agent_client.get(check_url(waiting_for_document)).content.decode()
    assert (
        reverse("family_backoffice:document_file", args=[waiting_for_document.pk])
        in html
    )
    assert "<iframe" in html
    assert "Anne Giraud" in html and "Léa" in html
    assert "Revenu fiscal de référence" in html  # the commune's rule: fiscal parts
    assert "Inscriptions au tarif provisoire" in html


def test_accepting_a_tax_notice_computes_the_qf_from_fiscal_parts(
    agent_client,
    agent,
    giraud_family,
    waiting_for_document,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            check_url(waiting_for_document),
            {
                "action": "accept",
                "method": "tax",
                "income_1": "45 000",
                "parts": "3",
                "tax_year": "2025",
                "flags": ["rsa"],
            },
        )
    assert response.status_code == 302
    record = QuotientRecord.objects.get(family=giraud_family)
    assert record.value == Decimal("1250.00")
    assert record.source == QuotientRecord.Source.DOCUMENT
    assert record.provider == QuotientRecord.Provider.TAX
    assert record.document == waiting_for_document
    assert record.recorded_by == agent
    assert record.tax_year == 2025
    assert record.flags == ["rsa"]
    assert record.formula == "45\u202f000 € / 12 / 3 parts fiscales = 1\u202f250,00 €"
    assert record.valid_until == QuotientRecord.school_year_end(datetime.date.today())

    waiting_for_document.refresh_from_db()
    assert waiting_for_document.status == QfDocument.Status.ACCEPTED
    assert waiting_for_document.checked_by == agent
    # The provisional enrolments are settled: QF 1 250 € is in bracket 3 (3,40 €).
    for item in Enrolment.objects.all():
        assert item.status == Enrolment.Status.CONFIRMED
        assert item.amount == Decimal("3.40")
        assert item.qf_value == Decimal("1250.00")
    changes = EnrolmentPriceChange.objects.all()
    assert len(changes) == 2
    assert {change.kind for change in changes} == {EnrolmentPriceChange.Kind.QF_ARRIVED}
    assert {change.changed_by for change in changes} == {agent}

    action = AgentAction.objects.get(kind=AgentAction.Kind.DOCUMENT_ACCEPTED)
    assert action.user == agent and action.document == waiting_for_document
    assert action.before == {"quotient": None}
    assert action.after["quotient"]["value"] == "1250.00"
    assert len(action.after["settled_enrolments"]) == 2

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [giraud_family.users.get().email]
    assert "accepté" in message.subject
    assert "1250" in message.body and "45\u202f000 € / 12 / 3 parts" in message.body
    assert "3,40 € par repas" in message.body


def test_the_per_person_rule_when_the_commune_votes_it(
    agent_client, giraud_family, waiting_for_document, home_page
):
    rules = FamilyServiceSettings.for_site(Site.objects.get(is_default_site=True))
    rules.tax_notice_rule = TaxNoticeRule.PER_PERSON
    rules.save()
    html = agent_client.get(check_url(waiting_for_document)).content.decode()
    assert "Revenus avant l&#x27;abattement de 10 %" in html
    assert "Personnes du foyer" in html
    agent_client.post(
        check_url(waiting_for_document),
        {
            "action": "accept",
            "method": "tax",
            "income_1": "32000",
            "maintenance_paid": "2 400",
            "persons": "4",
            "tax_year": "2025",
        },
    )
    record = QuotientRecord.objects.get(family=giraud_family)
    assert record.value == Decimal("616.67")
    assert "/ 12 / 4 personnes" in record.formula
    # QF 616,67 € is in bracket 1 (1,00 €).
    assert set(Enrolment.objects.values_list("amount", flat=True)) == {Decimal("1.00")}


def test_a_caf_attestation_is_entered_as_written(
    agent_client, giraud_family, canteen, commune
):
    enrol(
        giraud_family, commune, period_of(canteen), source=Enrolment.QfSource.DOCUMENT
    )
    doc = document(giraud_family, kind=QfDocument.Kind.CAF_ATTESTATION)
    month = datetime.date.today().replace(day=1)
    html = agent_client.get(check_url(doc)).content.decode()
    assert (
        'value="value" checked' in html
        or 'checked value="value"' in html
        or ('value="value"' in html)
    )
    agent_client.post(
        check_url(doc),
        {
            "action": "accept",
            "method": "value",
            "value": "600",
            "provider": "MSA",
            "month": month.strftime("%m/%Y"),
        },
    )
    record = QuotientRecord.objects.get()
    assert (record.value, record.provider, record.month) == (
        Decimal("600"),
        "MSA",
        month,
    )
    assert record.formula == ""
    assert set(Enrolment.objects.values_list("amount", flat=True)) == {Decimal("1.00")}


def test_an_old_attestation_is_refused(agent_client, giraud_family):
    doc = document(giraud_family, kind=QfDocument.Kind.CAF_ATTESTATION)
    response = agent_client.post(
        check_url(doc),
        {
            "action": "accept",
            "method": "value",
            "value": "600",
            "provider": "CNAF",
            "month": "01/2020",
        },
    )
    assert response.status_code == 200
    assert "moins de 3 mois" in response.content.decode()
    assert not QuotientRecord.objects.exists()
    doc.refresh_from_db()
    assert doc.status == QfDocument.Status.PENDING


def test_missing_or_impossible_tax_figures_are_refused(
    agent_client, waiting_for_document
):
    response = agent_client.post(
        check_url(waiting_for_document),
        {"action": "accept", "method": "tax", "income_1": "30000", "parts": "2.3"},
    )
    assert response.status_code == 200
    assert "tax_year" in response.context["accept_form"].errors
    response = agent_client.post(
        check_url(waiting_for_document),
        {
            "action": "accept",
            "method": "tax",
            "income_1": "30000",
            "parts": "2,3",
            "tax_year": "2025",
        },
    )
    assert "par quarts de part" in response.content.decode()
    assert not QuotientRecord.objects.exists()


def test_rejecting_requires_a_reason_and_tells_the_parent(
    agent_client,
    agent,
    giraud_family,
    waiting_for_document,
    django_capture_on_commit_callbacks,
):
    response = agent_client.post(
        check_url(waiting_for_document), {"action": "reject", "reason": "  "}
    )
    assert response.status_code == 200
    assert "reason" in response.context["reject_form"].errors
    waiting_for_document.refresh_from_db()
    assert waiting_for_document.status == QfDocument.Status.PENDING
    assert not mail.outbox

    reason = "L'avis est illisible : envoyez une photo nette des deux pages."
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            check_url(waiting_for_document), {"action": "reject", "reason": reason}
        )
    assert response.status_code == 302
    waiting_for_document.refresh_from_db()
    assert waiting_for_document.status == QfDocument.Status.REJECTED
    assert waiting_for_document.rejection_reason == reason
    assert waiting_for_document.checked_by == agent
    action = AgentAction.objects.get(kind=AgentAction.Kind.DOCUMENT_REJECTED)
    assert action.reason == reason and action.after == {"status": "rejected"}
    # The enrolments keep their provisional price.
    assert set(Enrolment.objects.values_list("status", flat=True)) == {"qf_pending"}
    assert len(mail.outbox) == 1 and reason in mail.outbox[0].body
    assert "nouveau justificatif" in mail.outbox[0].body


def test_a_document_is_checked_once(agent_client, giraud_family, waiting_for_document):
    data = {
        "action": "accept",
        "method": "tax",
        "income_1": "45000",
        "parts": "3",
        "tax_year": "2025",
    }
    agent_client.post(check_url(waiting_for_document), data)
    response = agent_client.post(check_url(waiting_for_document), data, follow=True)
    assert QuotientRecord.objects.count() == 1
    assert "est accepté" in response.content.decode()


def test_xss_in_a_rejection_reason_is_escaped(agent_client, waiting_for_document):
    reason = '<script>alert("x")</script>'
    agent_client.post(
        check_url(waiting_for_document), {"action": "reject", "reason": reason}
    )
    html = agent_client.get(check_url(waiting_for_document)).content.decode()
    assert reason not in html and "&lt;script&gt;" in html


def test_an_agent_enters_a_qf_by_hand(
    agent_client, agent, giraud_family, canteen, commune
):
    enrol(
        giraud_family,
        commune,
        period_of(canteen),
        source=Enrolment.QfSource.UNAVAILABLE,
    )
    # An older QF, from January before the school year, still valid today.
    year = school_year()
    january = datetime.date(year.start_year, 1, 1)
    old = QuotientRecord.objects.create(
        family=giraud_family,
        value=Decimal("2000"),
        provider="CNAF",
        source=QuotientRecord.Source.API,
        month=january,
        valid_from=january,
        valid_until=year.qf_valid_until,
    )
    url = reverse("family_backoffice:quotient_add", args=[giraud_family.pk])
    response = agent_client.post(
        url,
        {
            "method": "value",
            "value": "900",
            "provider": "CNAF",
            "month": datetime.date.today().strftime("%Y-%m"),
        },
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.status == QuotientRecord.Status.SUPERSEDED
    record = giraud_family.current_quotient()
    assert record.value == Decimal("900") and record.source == "manual"
    assert set(Enrolment.objects.values_list("amount", "status")) == {
        (Decimal("3.30"), "confirmed")
    }
    action = AgentAction.objects.get(kind=AgentAction.Kind.QF_RECORDED)
    assert action.before["quotient"]["value"] == "2000.00"
    assert action.after["quotient"]["value"] == "900.00"
