"""The demo activities: real published grids, idempotent loading, pages that render."""

import datetime
import json

import pytest
from wagtail.models import Revision

from activities.demo import (
    DEMO_BAREMES_DIR,
    demo_documents,
    fictional_baremes,
    load_demo_activities,
    school_year_start,
)
from activities.models import ActivityPage, Bareme, BaremeVersion
from activities.pricing import validate_document

from .examples import EXAMPLE_FILES, case_id, example_document

TODAY = datetime.date(2026, 11, 26)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=case_id)
def test_bundled_grids_are_the_shared_examples(path):
    bundled = DEMO_BAREMES_DIR / path.name
    assert json.loads(bundled.read_text("utf-8")) == example_document(path)


def test_every_demo_barème_is_valid():
    assert all(validate_document(document) == [] for document in demo_documents(2026))


def test_school_year():
    assert school_year_start(datetime.date(2026, 11, 26)) == 2026
    assert school_year_start(datetime.date(2027, 3, 1)) == 2026
    assert school_year_start(datetime.date(2027, 6, 1)) == 2027
    assert fictional_baremes(2026)[0]["valid_until"] == "2027-08-31"


def test_load_demo_activities_is_idempotent(home_page):
    index = load_demo_activities(home_page, today=TODAY)
    counts = (
        ActivityPage.objects.count(),
        Bareme.objects.count(),
        BaremeVersion.objects.count(),
        Revision.objects.count(),
    )
    assert counts[:3] == (4, 7, 7)
    again = load_demo_activities(home_page, today=TODAY)
    assert again.pk == index.pk
    assert (
        ActivityPage.objects.count(),
        Bareme.objects.count(),
        BaremeVersion.objects.count(),
        Revision.objects.count(),
    ) == counts
    assert index.get_parent().specific == home_page
    assert index.live and index.show_in_menus


def test_demo_activities_are_open_for_enrolment_and_priced(home_page, client):
    index = load_demo_activities(home_page, today=TODAY)
    for page in ActivityPage.objects.child_of(index):
        assert page.priced_baremes(), page.title
        for period in page.periods.all():
            # Each period is priced by a barème in force on its dates.
            assert page.pricing_version(period) is not None, (page.title, period)
        assert any(period.enrolment_is_open(TODAY) for period in page.periods.all()), (
            page.title
        )
        response = client.get(
            page.url,
            {"simuler": "1", "qf": "800", "residence": "resident", "rang": "2"},
        )
        assert response.status_code == 200
        assert "par " in response.context["simulation"][0].quote.explanation[-1]
    assert client.get(index.url).status_code == 200


@pytest.mark.parametrize(
    "today",
    [datetime.date(2026, 12, 5), datetime.date(2027, 3, 1), datetime.date(2031, 9, 15)],
)
def test_demo_barèmes_follow_the_date(home_page, client, today):
    """The demo canteen showed "Tarifs valables du 01/09/2022 au 31/08/2023" for
    2026-2027: its grids are now the demo commune's own for the current school year."""
    year = school_year_start(today)
    load_demo_activities(home_page, today=today)
    canteen = ActivityPage.objects.get(slug="restauration-scolaire")
    period = canteen.periods.get()
    version = canteen.pricing_version(period)
    assert version.bareme.slug == f"champcevinel-restauration-{year}"
    assert version.pricing.valid_from == datetime.date(year, 9, 1)
    assert version.pricing.valid_until == datetime.date(year + 1, 8, 31)
    assert version.pricing.deliberation.reference.startswith(f"DCM {year}-")
    for document in demo_documents(year):
        assert document["valid_from"] == f"{year}-09-01", document["id"]
    html = client.get(canteen.url).content.decode()
    assert f"Tarifs valables du 01/09/{year} au 31/08/{year + 1}" in html
    assert "2022" not in html
