"""Text typed by users comes out as text: script and markup payloads in every free-text
field (the family, its guardians and children, a file name, the agents' reasons, a page
title) are escaped in the parent's pages, the wizard, the back-office, the e-mails and
the certificate PDF, and template syntax is never evaluated."""

from __future__ import annotations

import html
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from wagtail.models import Site

from family_portal import enrolment as enrolments
from family_portal.certificates import services as certificates
from family_portal.models import Enrolment, QfDocument, QuotientRecord
from home.models import CommuneSettings
from tests.factories import UserFactory
from tests.family_portal.backoffice_support import PDF
from tests.family_portal.factories import ChildFactory, FamilyFactory, GuardianFactory
from tests.family_portal.test_wizard import Wizard

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"


def payload(tag: str) -> str:
    """A field's value: a tag saying which field it is, then the three payloads."""
    return f"{tag}{SCRIPT}{IMAGE}{TEMPLATE}"


# The fields a user types, with the tag each one carries.
TAGS = {
    "family": "Fam",
    "street": "Rue",
    "city": "Ville",
    "birth_name": "Naiss",
    "usage_name": "Usage",
    "guardian_first": "Resp",
    "child_first": "Enf",
    "child_last": "Nomenf",
    "school": "Ecole",
    "file": "Fich",
    "rejection": "Refus",
    "override": "Correc",
    "cancel": "Annul",
    "activity": "Activ",
}


def assert_escaped(content: str, where: str, expect=()):
    """No payload is live markup; the tags in `expect` are shown, as text."""
    assert SCRIPT not in content, f"a live <script> in {where}"
    assert "<img src=x" not in content.lower(), f"a live <img> in {where}"
    assert "onerror=alert(1)>" not in content.replace("&gt;", ""), where
    text = html.unescape(content)
    for key in expect:
        value = payload(TAGS[key])
        assert value in text, f"{key} not shown as typed in {where}"


@pytest.fixture
def hostile(canteen, groups):
    """A family whose every typed field holds the payloads, enrolled twice (one
    enrolment confirmed with its certificate, one cancelled later), and a document."""
    canteen.title = payload(TAGS["activity"])
    canteen.save_revision().publish()
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    parent = UserFactory(username="parent-xss", email="parent-xss@example.org")
    family = FamilyFactory(
        name=payload(TAGS["family"]),
        street=payload(TAGS["street"]),
        city=payload(TAGS["city"]),
        users=[parent],
    )
    GuardianFactory(
        family=family,
        birth_name=payload(TAGS["birth_name"]),
        usage_name=payload(TAGS["usage_name"]),
        first_name=payload(TAGS["guardian_first"]),
        email="parent-xss@example.org",
    )
    child = ChildFactory(
        family=family,
        first_name=payload(TAGS["child_first"]),
        last_name=payload(TAGS["child_last"]),
        school=payload(TAGS["school"]),
    )
    brother = ChildFactory(family=family, first_name="Basile", last_name="Sûr")
    today = timezone.localdate()
    record = QuotientRecord.objects.create(
        family=family,
        value=Decimal("1200"),
        provider="CNAF",
        source=QuotientRecord.Source.API,
        month=today.replace(day=1),
        valid_from=today,
        valid_until=QuotientRecord.school_year_end(today),
    )
    period = canteen.periods.get()
    enrolled = enrolments.confirm(
        family,
        commune,
        period,
        [child, brother],
        enrolments.QfChoice(Enrolment.QfSource.RECORD, record),
    )
    document = QfDocument.objects.create(
        family=family,
        kind=QfDocument.Kind.TAX_NOTICE,
        file=ContentFile(PDF, name="avis.pdf"),
        original_name=payload(TAGS["file"]) + ".pdf",
        content_type="application/pdf",
        uploaded_by=parent,
    )
    return {
        "parent": parent,
        "family": family,
        "child": child,
        "enrolment": enrolled[0],
        "other": enrolled[1],
        "document": document,
        "period": period,
        "activity": canteen,
    }


def test_the_parents_forms_keep_the_payloads_as_typed(client, home_page):
    """The family space's forms take such text (names may hold any character); the
    other tests show it is harmless once displayed."""
    client.force_login(UserFactory(username="nouveau"))
    response = client.post(
        reverse("family_portal:family_create"),
        {
            "famille-name": payload(TAGS["family"]),
            "famille-street": payload(TAGS["street"]),
            "famille-postcode": "45999",
            "famille-city": payload(TAGS["city"]),
            "responsable-birth_name": payload(TAGS["birth_name"]),
            "responsable-usage_name": payload(TAGS["usage_name"]),
            "responsable-first_name": payload(TAGS["guardian_first"]),
            "responsable-sex": "F",
            "responsable-birth_date": "1988-12-01",
            "responsable-birth_commune_code": "13002",
            "responsable-email": "nouveau@example.org",
        },
    )
    html_text = response.content.decode()
    assert_escaped(html_text, "the family form")
    if response.status_code == 200:
        # Refused: then the errors say why, and the fields show what was typed.
        assert 'class="errorlist' in html_text or "notice--error" in html_text
    else:
        assert response.status_code == 302
        response = client.post(
            reverse("family_portal:child_add"),
            {
                "first_name": payload(TAGS["child_first"]),
                "last_name": payload(TAGS["child_last"]),
                "birth_date": "2018-11-25",
                "school_level": "CE2",
                "school": payload(TAGS["school"]),
            },
        )
        assert response.status_code in (200, 302)
        assert_escaped(response.content.decode(), "the child form")
        dashboard = client.get(reverse("family_portal:dashboard")).content.decode()
        assert_escaped(dashboard, "the dashboard", expect=["family", "street"])


def test_pages_of_the_parent_and_the_wizard(client, hostile):
    client.force_login(hostile["parent"])
    dashboard = client.get(reverse("family_portal:dashboard")).content.decode()
    assert_escaped(
        dashboard,
        "the dashboard",
        expect=["family", "street", "city", "child_first", "school"],
    )
    for name in ("family_edit", "child_add", "guardian_add"):
        assert_escaped(
            client.get(reverse(f"family_portal:{name}")).content.decode(), name
        )
    child_page = client.get(
        reverse("family_portal:child_edit", args=[hostile["child"].pk])
    ).content.decode()
    assert_escaped(child_page, "the child's form", expect=["child_first", "school"])

    # The wizard: a new period so that both children can enrol again.
    period = hostile["period"]
    period.pk = None
    period.label = "Période 2"
    period.save()
    wizard = Wizard(client, hostile["activity"])
    page = wizard.start().content.decode()
    assert_escaped(page, "the wizard's first step", expect=["activity", "child_first"])
    children = [child.pk for child in hostile["family"].children.all()]
    page = wizard.post(
        "enfants", {"children": children, "period": period.pk}, follow=True
    )
    assert_escaped(page.content.decode(), "the QF step")
    page = wizard.post("quotient", {"source": "api"}, follow=True)
    assert_escaped(
        page.content.decode(),
        "the identity step",
        expect=["birth_name", "guardian_first"],
    )
    page = wizard.post("caf-msa", {"fallback": "none"}, follow=True).content.decode()
    assert_escaped(page, "the price step", expect=["child_first"])
    page = wizard.post("tarif", {}, follow=True).content.decode()
    assert_escaped(page, "the confirmation step", expect=["child_first"])
    mail.outbox.clear()
    page = wizard.post("confirmation", {"accept": "on"}, follow=True)
    assert page.redirect_chain[-1][0].startswith(
        reverse("family_portal:enrolment_result")
    )
    assert_escaped(
        page.content.decode(), "the result page", expect=["child_first", "activity"]
    )
    assert_mail_is_harmless(mail.outbox, expect=["activity"])


def assert_mail_is_harmless(outbox, expect=()):
    assert outbox, "an e-mail was expected"
    for message in outbox:
        # Plain text: the payloads are shown as typed (nothing interprets them).
        for key in expect:
            assert payload(TAGS[key]) in message.body + message.subject, key
        assert "\n" not in message.subject
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                assert_escaped(content, f"the HTML part of {message.subject!r}")


def test_the_back_office_shows_the_payloads_as_text(
    agent_client, hostile, django_capture_on_commit_callbacks
):
    client = agent_client
    family, enrolment = hostile["family"], hostile["enrolment"]

    # The agent types reasons too: a rejection, a price correction, a cancellation.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("family_backoffice:document_check", args=[hostile["document"].pk]),
            {"action": "reject", "reason": payload(TAGS["rejection"])},
        )
    assert response.status_code == 302
    assert_mail_is_harmless(mail.outbox, expect=["rejection"])
    response = client.post(
        reverse("family_backoffice:enrolment_override", args=[enrolment.pk]),
        {"amount": "2,10", "reason": payload(TAGS["override"])},
    )
    assert response.status_code == 302
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("family_backoffice:enrolment_cancel", args=[hostile["other"].pk]),
            {"reason": payload(TAGS["cancel"])},
        )
    assert response.status_code == 302
    if mail.outbox:
        assert_mail_is_harmless(mail.outbox, expect=["cancel"])

    pages = {
        "families": (
            reverse("family_portal_family_modeladmin_index") + "?q=Fam",
            ["family", "city", "guardian_first"],
        ),
        "family": (
            reverse("family_portal_family_modeladmin_inspect", args=[family.pk]),
            ["family", "street", "child_first"],
        ),
        "children": (
            reverse("family_portal_child_modeladmin_index"),
            ["child_first", "child_last", "school"],
        ),
        "enrolments": (
            reverse("family_portal_enrolment_modeladmin_index"),
            ["child_first", "activity"],
        ),
        "enrolment": (
            reverse("family_portal_enrolment_modeladmin_inspect", args=[enrolment.pk]),
            ["child_first", "override"],
        ),
        "documents": (
            reverse("family_portal_qfdocument_modeladmin_index") + "?etat=tous",
            ["family"],
        ),
        "document": (
            reverse("family_backoffice:document_check", args=[hostile["document"].pk]),
            ["file", "rejection", "family"],
        ),
        "actions": (
            reverse("family_portal_agentaction_modeladmin_index"),
            ["rejection", "cancel"],
        ),
        "counter": (
            reverse("family_backoffice:counter_search") + "?q=Enf",
            ["family", "child_first"],
        ),
        "counter enrolment": (
            reverse("family_backoffice:counter_enrol", args=[family.pk]),
            ["child_first"],
        ),
        "period": (
            reverse("family_backoffice:period_detail", args=[hostile["period"].pk]),
            ["activity"],
        ),
        "dashboard": (reverse("wagtailadmin_home"), []),
    }
    for where, (url, expect) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        assert_escaped(response.content.decode(), where, expect=expect)

    # The parent reads the reason on their dashboard.
    client.force_login(hostile["parent"])
    dashboard = client.get(reverse("family_portal:dashboard")).content.decode()
    assert_escaped(dashboard, "the dashboard", expect=["rejection"])


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages)


def squeeze(text: str) -> str:
    """Without blanks: the PDF's text extraction breaks long lines where it likes."""
    return re.sub(r"\s+", "", text)


def test_the_certificate_shows_the_payloads_as_literal_text(client, hostile):
    certificate = certificates.current_certificate(hostile["enrolment"])
    content = certificates.certificate_pdf(certificate)
    text = squeeze(pdf_text(content))
    for key in ("family", "child_first", "child_last", "activity", "street"):
        assert squeeze(payload(TAGS[key])) in text, key
    # Nothing was fetched for the would-be image, and no HTML element became content:
    # the literal tags are there, character for character.
    assert text.count(squeeze(SCRIPT)) >= 5
    assert text.count(squeeze(TEMPLATE)) >= 5

    # The same PDF, downloaded by the parent.
    client.force_login(hostile["parent"])
    response = client.get(
        reverse("family_portal:certificate", args=[hostile["enrolment"].reference])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert squeeze(payload(TAGS["child_first"])) in squeeze(pdf_text(response.content))
