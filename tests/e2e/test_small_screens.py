"""Parents on a phone: the family space's enrolments and an activity page's periods are
laid out as stacked cards on small screens, every cell inside the viewport (WCAG 1.4.10
reflow), and as a real table on a desktop."""

from decimal import Decimal

import pytest
from django.utils import timezone
from wagtail.models import Site

from activities.models import ActivityPage
from family_portal import enrolment as enrolments
from family_portal.models import Enrolment, Family, QuotientRecord
from home.models import CommuneSettings
from tests.e2e.accessibility import (
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
)
from tests.e2e.conftest import DESKTOP, MOBILE, NARROWEST
from tests.e2e.test_journeys_parent import sign_in

SMALL_SCREENS = [NARROWEST, MOBILE]


def cells_outside_the_viewport(page, table):
    """The cells of `table` (and the links in them) whose box leaves the viewport."""
    return table.evaluate(
        """(table) => {
            const width = document.documentElement.clientWidth;
            return [...table.querySelectorAll("tbody th, tbody td, tbody a")]
                .map((element) => [element, element.getBoundingClientRect()])
                .filter(([, box]) => box.left < 0 || box.right > width + 0.5)
                .map(([element, box]) =>
                    `${element.tagName.toLowerCase()} «${element.textContent.trim()
                        .slice(0, 40)}» from ${Math.round(box.left)} to `
                    + `${Math.round(box.right)} px in ${width} px`);
        }"""
    )


def table_display(table):
    return table.evaluate("(table) => getComputedStyle(table).display")


@pytest.fixture
def enrolled_everywhere(demo_commune):
    """Both Giraud children at the conservatory and the leisure centre (confirmed, with
    a certificate each), and one provisional price: the longest rows of the table."""
    family = Family.objects.get(name="Famille Giraud")
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
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
    children = list(family.children.all())
    before = family.enrolments.count()  # the billing demo's canteen, last month
    for slug in ("conservatoire", "accueil-de-loisirs"):
        activity = ActivityPage.objects.get(slug=slug)
        period = enrolments.enrolment_windows(activity, today)[0].first()
        enrolments.confirm(
            family,
            commune,
            period,
            children,
            enrolments.QfChoice(Enrolment.QfSource.RECORD, record),
        )
    assert family.enrolments.count() == before + 4
    return family


@pytest.mark.parametrize("screen", SMALL_SCREENS, ids=["320px", "390px"])
def test_the_family_space_enrolments_fit_a_phone(
    live_server, page, enrolled_everywhere, screen
):
    page.set_viewport_size(screen)
    page.goto(live_server.url + "/compte/login/")
    sign_in(page)
    table = page.get_by_role("table", name="Inscriptions de la famille")
    # The header row, the 4 enrolments made here and the billing demo's canteen.
    rows = enrolled_everywhere.enrolments.count()
    assert table.get_by_role("row").count() == rows + 1
    assert cells_outside_the_viewport(page, table) == []
    assert table_display(table) == "block"  # stacked cards
    certificate_links = table.get_by_role("link", name="Télécharger l'attestation")
    links = certificate_links.count()
    assert links >= 4  # the 4 confirmed here have one each
    for index in range(links):
        assert certificate_links.nth(index).is_visible()
    assert_no_horizontal_scroll(page)
    assert_no_axe_violations(page)


@pytest.mark.parametrize("screen", SMALL_SCREENS, ids=["320px", "390px"])
def test_the_activity_periods_fit_a_phone(live_server, page, demo_commune, screen):
    page.set_viewport_size(screen)
    activity = ActivityPage.objects.get(slug="accueil-de-loisirs")
    assert activity.periods.count() >= 3
    page.goto(live_server.url + activity.url)
    table = page.get_by_role(
        "table", name="Périodes de l'activité, places et dates d'inscription"
    )
    assert table.get_by_role("row").count() == activity.periods.count() + 1
    assert cells_outside_the_viewport(page, table) == []
    assert table_display(table) == "block"
    assert_no_axe_violations(page)


def test_on_a_desktop_both_stay_tables_with_their_headers(
    live_server, page, enrolled_everywhere
):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/compte/login/")
    sign_in(page)
    table = page.get_by_role("table", name="Inscriptions de la famille")
    assert table_display(table) == "table"
    headers = table.get_by_role("columnheader")
    assert headers.all_inner_texts() == [
        "Enfant",
        "Activité et période",
        "État",
        "Tarif",
    ]
    assert (
        table.get_by_role("rowheader").count() == enrolled_everywhere.enrolments.count()
    )
    assert cells_outside_the_viewport(page, table) == []

    page.goto(live_server.url + ActivityPage.objects.get(slug="accueil-de-loisirs").url)
    table = page.get_by_role(
        "table", name="Périodes de l'activité, places et dates d'inscription"
    )
    assert table_display(table) == "table"
    assert (
        table.get_by_role("columnheader").count() == 5
    )  # période, dates, places, inscriptions, tarif


@pytest.mark.parametrize(
    "screen", [NARROWEST, MOBILE, DESKTOP], ids=["320px", "390px", "desktop"]
)
def test_the_lookups_page_fits_and_is_accessible(
    live_server, page, demo_commune, screen
):
    from qf_connector.models import ApiCallLog

    family = Family.objects.get(name="Famille Giraud")
    for origin, provider, error_kind in [
        ("wizard", "CNAF", ""),
        ("campagne annuelle", "", "unavailable"),
    ]:
        ApiCallLog.objects.create(
            family_id=family.pk,
            origin=origin,
            provider=provider,
            error_kind=error_kind,
            endpoint="/v3/dss/quotient_familial/identite",
            started_at=timezone.now(),
            duration_ms=120,
        )
    page.set_viewport_size(screen)
    page.goto(live_server.url + "/compte/login/")
    sign_in(page)
    page.get_by_role("link", name="Vos demandes à la CAF et à la MSA").click()
    page.get_by_role(
        "heading", level=1, name="Vos demandes à la CAF et à la MSA"
    ).wait_for()
    table = page.get_by_role("table")
    assert table.get_by_role("row").count() == 3
    assert cells_outside_the_viewport(page, table) == []
    assert_no_horizontal_scroll(page)
    assert_no_axe_violations(page)
    page.get_by_role(
        "button", name="Donner mon accord à la mise à jour annuelle"
    ).click()
    page.get_by_role("button", name="Retirer mon accord").wait_for()
    assert_no_axe_violations(page)
