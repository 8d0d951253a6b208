"""Back-office demo data for `make demo`: the agents' permissions, and families that give
an agent something to do in each screen (a tax notice to check, enrolments waiting for
their QF, a short holiday course with a waiting list). Idempotent; the families match
staging cases of the fake API Particulier, so "Actualiser le QF" and the yearly
campaign answer."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from activities.models import ActivityPage, ActivityPeriod

from .. import enrolment as enrolments
from ..models import Child, Enrolment, Family, Guardian, QfDocument, QuotientRecord
from .permissions import grant_agent_permissions

HOLIDAY_COURSE = "Stage multisport des vacances d'hiver"

# (family, guardian as in the fake API's staging cases, children)
FAMILIES = [
    (
        "Famille Bernard",
        {
            "birth_name": "Bernard",
            "first_name": "Elodie",
            "sex": "F",
            "birth_date": datetime.date(1990, 3, 15),
            "birth_commune_code": "08480",
            "email": "elodie.bernard@demo.example.org",
        },
        [("Hugo", datetime.date(2016, 4, 10), "CM2", "École élémentaire Jules-Ferry")],
    ),
    (
        "Famille Martin",
        {
            "birth_name": "Martin",
            "first_name": "Pierre",
            "sex": "M",
            "birth_date": datetime.date(1987, 6, 12),
            "birth_commune_code": "13055",
            "email": "pierre.martin@demo.example.org",
        },
        [("Jade", datetime.date(2017, 9, 3), "CM1", "École élémentaire Louise-Michel")],
    ),
    (
        "Famille Lefebvre",
        {
            "birth_name": "Lefebvre",
            "first_name": "Alexis",
            "sex": "F",
            "birth_date": datetime.date(1982, 12, 4),
            "birth_commune_code": "08480",
            "email": "alexis.lefebvre@demo.example.org",
        },
        [("Noé", datetime.date(2018, 1, 22), "CE2", "École élémentaire Jules-Ferry")],
    ),
]


def tax_notice_pdf() -> bytes:
    """A one-page, obviously fictional avis d'imposition."""
    from weasyprint import HTML

    return HTML(
        string="""<html lang="fr"><body style="font-family: sans-serif">
        <h1>Avis d'impôt 2025 sur les revenus de 2024</h1>
        <p><strong>Document fictif, pour la démonstration du portail famille.</strong></p>
        <p>Déclarante : Élodie BERNARD, 45999 Ville-de-Démo</p>
        <table>
          <tr><td>Nombre de parts</td><td>2,5</td></tr>
          <tr><td>Revenu brut global</td><td>31 200 €</td></tr>
          <tr><td>Revenu fiscal de référence</td><td>30 000 €</td></tr>
        </table></body></html>"""
    ).write_pdf()


def _family(name, guardian, children, commune):
    family = Family.objects.filter(name=name).first()
    if family is not None:
        return family, False
    family = Family.objects.create(
        name=name,
        street="3 place du Marché",
        postcode=commune.postcode_list[0] if commune.postcode_list else "",
        city=commune.name,
        qf_refresh_consent=True,
    )
    Guardian.objects.create(family=family, is_allocataire=True, **guardian)
    for first_name, birth_date, level, school in children:
        Child.objects.create(
            family=family,
            first_name=first_name,
            last_name=guardian["birth_name"],
            birth_date=birth_date,
            school_level=level,
            school=school,
        )
    return family, True


def _holiday_course(today):
    """A short course with three places on the leisure centre's page (new revision)."""
    page = ActivityPage.objects.filter(slug="accueil-de-loisirs").first()
    if page is None:
        return None
    existing = page.periods.filter(label=HOLIDAY_COURSE).first()
    if existing is not None:
        return existing
    year = today.year + (1 if today.month >= 3 else 0)
    page = page.get_latest_revision_as_object()
    page.periods.add(
        ActivityPeriod(
            label=HOLIDAY_COURSE,
            start=datetime.date(year, 2, 16),
            end=datetime.date(year, 2, 20),
            capacity=2,
            enrolment_opens=today - datetime.timedelta(days=30),
            enrolment_closes=datetime.date(year, 2, 6),
        )
    )
    page.save_revision().publish()
    return ActivityPeriod.objects.get(activity=page, label=HOLIDAY_COURSE)


def _period(slug):
    page = ActivityPage.objects.filter(slug=slug).first()
    return page.periods.order_by("start").first() if page else None


def _enrol(family, commune, period, source, quotient=None):
    if period is None:
        return []
    return enrolments.confirm(
        family,
        commune,
        period,
        list(family.children.all()),
        enrolments.QfChoice(source, quotient),
    )


@transaction.atomic
def load_backoffice_demo(commune, today: datetime.date | None = None):
    """Grant the agents their permissions and add the back-office demo families."""
    today = today or timezone.localdate()
    grant_agent_permissions()
    families = {}
    created = {}
    for name, guardian, children in FAMILIES:
        families[name], created[name] = _family(name, guardian, children, commune)
    canteen = _period("restauration-scolaire")
    after_school = _period("accueil-periscolaire")

    bernard = families["Famille Bernard"]
    if created["Famille Bernard"]:
        # A tax notice to check; the canteen at a provisional price meanwhile.
        _enrol(bernard, commune, canteen, Enrolment.QfSource.DOCUMENT)
        QfDocument.objects.create(
            family=bernard,
            kind=QfDocument.Kind.TAX_NOTICE,
            file=ContentFile(tax_notice_pdf(), name="avis-imposition-bernard.pdf"),
            original_name="avis-imposition-bernard.pdf",
            content_type="application/pdf",
        )
    martin = families["Famille Martin"]
    if created["Famille Martin"]:
        # Enrolled while API Particulier was down: "Actualiser le QF" settles it.
        _enrol(martin, commune, after_school, Enrolment.QfSource.UNAVAILABLE)
    lefebvre = families["Famille Lefebvre"]
    if created["Famille Lefebvre"]:
        quotient = QuotientRecord.objects.create(
            family=lefebvre,
            value=Decimal("2550"),
            provider=QuotientRecord.Provider.CNAF,
            source=QuotientRecord.Source.API,
            month=today.replace(day=1),
            valid_from=today,
            valid_until=QuotientRecord.school_year_end(today),
        )
        _enrol(lefebvre, commune, canteen, Enrolment.QfSource.RECORD, quotient)

    course = _holiday_course(today)
    if course is not None and not course.enrolments.exists():
        # Two places, three children: the last one waits.
        for name in ["Famille Lefebvre", "Famille Martin", "Famille Bernard"]:
            _enrol(families[name], commune, course, Enrolment.QfSource.NONE)
    return families
