"""Helpers of the certificate tests: confirmed enrolments and PDF text extraction."""

import io
from decimal import Decimal

from pypdf import PdfReader
from wagtail.models import Site

from family_portal import enrolment
from family_portal.models import Enrolment, QuotientRecord
from home.models import CommuneSettings
from tests.dates import qf_month, qf_validity


def commune(**fields):
    settings = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    defaults = {
        "name": "Ville de Test",
        "siret": "21999999200015",
        "address": "1 place de la Mairie\n45999 Ville de Test",
        "service_name": "Service Enfance et Éducation",
        "signatory_name": "Claire Martin",
        "signatory_role": "Adjointe au maire chargée de l'éducation",
        "email": "enfance@ville-de-test.example.org",
    }
    for name, value in {**defaults, **fields}.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def api_quotient(family, value="1200", month=None):
    """A QF from the API, valid today (see tests.dates)."""
    valid_from, valid_until = qf_validity()
    return QuotientRecord.objects.create(
        family=family,
        value=Decimal(value),
        provider="CNAF",
        source=QuotientRecord.Source.API,
        month=month or qf_month(),
        valid_from=valid_from,
        valid_until=valid_until,
        request_id="req-1",
    )


def enrol(family, activity, qf_value="1200", children=None):
    """Confirmed enrolments of the family's children, priced with an API QF."""
    settings = commune()
    quotient = api_quotient(family, qf_value) if qf_value is not None else None
    choice = enrolment.QfChoice(
        Enrolment.QfSource.API if quotient else Enrolment.QfSource.NONE, quotient
    )
    return enrolment.confirm(
        family,
        settings,
        activity.periods.get(),
        children or list(family.children.all()),
        choice,
    )


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)
