"""Fixtures and helpers of the back-office tests: the demo groups with the agents'
permissions, an agent, an editor, a family with enrolments and a document.

Test modules import the fixtures by their function names (``agent_fixture``…); pytest
knows them by their ``name`` (``agent``…).
"""

import datetime
import html
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.models import Site

from family_portal import enrolment
from family_portal.backoffice.permissions import grant_agent_permissions
from family_portal.bookings.permissions import grant_booking_permissions
from family_portal.models import Enrolment, QfDocument, QuotientRecord
from home.demo import AGENTS_GROUP, EDITORS_GROUP, ensure_groups
from home.models import CommuneSettings
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(name="commune")
def commune_fixture(home_page):
    return CommuneSettings.for_site(Site.objects.get(is_default_site=True))


@pytest.fixture(name="groups")
def groups_fixture(home_page):
    groups = ensure_groups(home_page)
    grant_agent_permissions(groups[AGENTS_GROUP])
    grant_booking_permissions(groups)
    return groups


@pytest.fixture(name="agent")
def agent_fixture(groups):
    user = UserFactory(username="agent.famille", first_name="Karim", last_name="Benali")
    user.groups.add(groups[AGENTS_GROUP])
    return user


@pytest.fixture(name="editor")
def editor_fixture(groups):
    user = UserFactory(username="editrice", first_name="Élise", last_name="Martin")
    user.groups.add(groups[EDITORS_GROUP])
    return user


@pytest.fixture(name="agent_client")
def agent_client_fixture(client, agent):
    client.force_login(agent)
    return client


def period_of(activity):
    return activity.periods.get()


def enrol(
    family,
    commune,
    period,
    children=None,
    source=Enrolment.QfSource.NONE,
    quotient=None,
):
    children = children or list(family.children.all())
    return enrolment.confirm(
        family, commune, period, children, enrolment.QfChoice(source, quotient)
    )


def quotient(family, value, provider="CNAF", source=QuotientRecord.Source.API):
    today = datetime.date.today()
    return QuotientRecord.objects.create(
        family=family,
        value=Decimal(value),
        provider=provider,
        source=source,
        month=today.replace(day=1),
        valid_from=today,
        valid_until=QuotientRecord.school_year_end(today),
    )


def document(
    family, kind=QfDocument.Kind.TAX_NOTICE, content=PDF, content_type="application/pdf"
):
    return QfDocument.objects.create(
        family=family,
        kind=kind,
        file=SimpleUploadedFile("avis.pdf", content, content_type=content_type),
        original_name="avis.pdf",
        content_type=content_type,
        uploaded_by=family.users.first(),
    )


def text(response) -> str:
    """The page as a reader sees it: entities decoded (l&#x27;aperçu → l'aperçu)."""
    return html.unescape(response.content.decode())
