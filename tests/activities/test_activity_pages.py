"""Activity pages: page tree rules, rendering, filters, tariff tables, the simulator."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import (
    inline_formset,
    nested_form_data,
    rich_text,
    streamfield,
)

from activities.models import ActivityIndexPage, ActivityPage, ActivityPeriod
from home.models import ContentPage, HomePage
from tests.dates import school_year

from .examples import EXAMPLE_FILES
from .factories import ActivityIndexPageFactory, ActivityPageFactory

EXAMPLE_NAMES = [path.stem for path in EXAMPLE_FILES]

NNBSP = "\u202f"


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def simulate(client, page, **params):
    return soup(client.get(page.url, {"simuler": "1", **params}))


def result_text(html):
    return " ".join(html.select_one("#simulateur-resultat").get_text(" ").split())


class TestPageTree(WagtailPageTestCase):
    def setUp(self):
        self.home = HomePage(title="Ville de Test", slug="accueil")
        Page.get_first_root_node().add_child(instance=self.home)
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={"hostname": "localhost", "port": 80, "root_page": self.home},
        )
        self.index = ActivityIndexPageFactory(parent=self.home, slug="activites")
        self.login()

    def test_allowed_parents_and_children(self):
        self.assertAllowedParentPageTypes(ActivityIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(ActivityIndexPage, {ActivityPage})
        self.assertAllowedParentPageTypes(ActivityPage, {ActivityIndexPage})
        self.assertAllowedSubpageTypes(ActivityPage, set())
        self.assertCanCreateAt(HomePage, ActivityIndexPage)
        self.assertCanNotCreateAt(HomePage, ActivityPage)
        self.assertCanNotCreateAt(ContentPage, ActivityPage)

    def test_an_editor_creates_an_index(self):
        self.assertCanCreate(
            self.home,
            ActivityIndexPage,
            nested_form_data(
                {"title": "Nos activités", "slug": "nos-activites", "introduction": ""}
            ),
        )

    def test_an_editor_creates_an_activity_with_a_period(self):
        self.assertCanCreate(
            self.index,
            ActivityPage,
            nested_form_data(
                {
                    "title": "Études surveillées",
                    "slug": "etudes",
                    "category": "etudes",
                    "description": streamfield(
                        [("paragraph", rich_text("<p>Aide aux devoirs.</p>"))]
                    ),
                    "age_min": "6",
                    "age_max": "11",
                    "periods": inline_formset(
                        [
                            {
                                "label": "Année scolaire",
                                "start": "2026-09-01",
                                "end": "2027-07-03",
                                "capacity": "25",
                                "enrolment_opens": "2026-06-01",
                                "enrolment_closes": "2026-09-30",
                            }
                        ]
                    ),
                    "bareme_links": inline_formset([]),
                    "documents": streamfield([]),
                }
            ),
        )
        page = ActivityPage.objects.get(slug="etudes")
        assert page.periods.get().capacity == 25

    def test_pages_are_renderable(self):
        activity = ActivityPageFactory(parent=self.index)
        self.assertPageIsRenderable(self.index)
        self.assertPageIsRenderable(activity)
        self.assertPageIsRenderable(activity, query_data={"simuler": "1"})


def test_age_bounds_must_be_in_order(activity_index):
    from django.core.exceptions import ValidationError

    page = ActivityPage(
        title="Danse", slug="danse", category="culture", age_min=9, age_max=6
    )
    with pytest.raises(ValidationError) as raised:
        page.clean()
    assert "âge maximal" in str(raised.value)


def test_period_dates_must_be_in_order():
    from django.core.exceptions import ValidationError

    period = ActivityPeriod(
        label="Été",
        start=datetime.date(2027, 7, 31),
        end=datetime.date(2027, 7, 1),
        capacity=10,
        enrolment_opens=datetime.date(2027, 6, 1),
        enrolment_closes=datetime.date(2027, 5, 1),
    )
    with pytest.raises(ValidationError) as raised:
        period.clean()
    assert set(raised.value.message_dict) == {"end", "enrolment_closes"}
    period.enrolment_closes = datetime.date(2027, 6, 30)
    assert period.enrolment_is_open(datetime.date(2027, 6, 1))
    assert not period.enrolment_is_open(datetime.date(2027, 7, 1))


@pytest.fixture
def activities(activity_index):
    return {
        "cantine": ActivityPageFactory(
            parent=activity_index,
            title="Cantine",
            category="restauration",
            age_min=3,
            age_max=11,
        ),
        "conservatoire": ActivityPageFactory(
            parent=activity_index,
            title="Conservatoire",
            category="conservatoire",
            age_min=5,
            age_max=18,
        ),
        "creche": ActivityPageFactory(
            parent=activity_index,
            title="Halte-garderie",
            category="autre",
            age_min=None,
            age_max=3,
        ),
    }


def titles(html):
    return [link.get_text(strip=True) for link in html.select(".cards .card__link")]


def test_index_lists_every_live_activity(client, activity_index, activities):
    activities["creche"].unpublish()
    html = soup(client.get(activity_index.url))
    assert titles(html) == ["Cantine", "Conservatoire"]
    assert html.select_one("form[role=search]")["method"] == "get"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"categorie": "conservatoire"}, ["Conservatoire"]),
        ({"age": "4"}, ["Cantine"]),
        ({"age": "3"}, ["Cantine", "Halte-garderie"]),
        ({"age": "12"}, ["Conservatoire"]),
        ({"age": "2"}, ["Halte-garderie"]),
        ({"categorie": "restauration", "age": "15"}, []),
    ],
)
def test_index_filters_by_category_and_age(
    client, activity_index, activities, query, expected
):
    html = soup(client.get(activity_index.url, query))
    assert titles(html) == expected
    if not expected:
        assert "Aucune activité ne correspond" in html.get_text()


def test_index_filter_errors_are_in_french(client, activity_index, activities):
    html = soup(client.get(activity_index.url, {"age": "sept"}))
    assert "Indiquez l'âge en années, par exemple 7." in html.get_text()
    assert html.select_one("[role=alert]")
    assert len(titles(html)) == 3  # an invalid filter filters nothing


def test_activity_page_shows_periods_and_the_tariff_table(client, canteen):
    html = soup(client.get(canteen.url))
    table = html.select_one("table.tariff__table")
    assert "Restauration scolaire — repas" in table.caption.get_text()
    assert [th["scope"] for th in table.select("thead th")] == ["col", "col"]
    rows = [
        (row.th.contents[0].strip(), row.td.get_text(strip=True))
        for row in table.select("tbody tr")
    ]
    assert rows == [
        ("De 0 € à 622 €", "1,00 €"),
        (f"De 623 € à 1{NNBSP}000 €", "3,30 €"),
        (f"De 1{NNBSP}001 € à 1{NNBSP}500 €", "3,40 €"),
        (f"À partir de 1{NNBSP}501 €", "3,50 €"),
    ]
    assert all(row.th["scope"] == "row" for row in table.select("tbody tr"))
    rules = html.select_one(".tariff__rules").get_text()
    assert "tarif le plus élevé" in rules
    assert "(référence : délibération tarifs restauration 2022, du 01/07/2022)" in rules
    assert (
        "Année scolaire"
        in html.select_one("#periodes-titre").find_next("table").get_text()
    )


def test_simulator_form_works_without_javascript(client, canteen):
    html = soup(client.get(canteen.url))
    form = html.select_one("form[data-simulator]")
    assert form["method"] == "get"
    assert form.select_one("input[name=qf]")
    assert form.select_one("input[name=sans_qf][type=checkbox]")
    assert form.select_one("button[name=simuler]")
    region = html.select_one("#simulateur-resultat")
    assert region["aria-live"] == "polite"
    assert not region.get_text(strip=True)


def test_simulator_prices_a_qf(client, canteen):
    html = simulate(client, canteen, qf="850", residence="resident", rang="1")
    text = result_text(html)
    assert "3,30 € par repas" in text
    assert "Quotient familial retenu : 850 €" in text
    assert html.select_one("input[name=qf]")["value"] == "850"


def test_simulator_accepts_a_french_decimal_qf(client, canteen):
    text = result_text(
        simulate(client, canteen, qf="1 500,80", residence="resident", rang="1")
    )
    assert "Quotient familial retenu (tronqué à l'euro)" in text
    assert "3,40 € par repas" in text


def test_simulator_without_qf(client, canteen):
    text = result_text(
        simulate(client, canteen, sans_qf="on", residence="resident", rang="1")
    )
    assert "Quotient familial non communiqué" in text
    assert "3,50 € par repas" in text


def test_simulator_by_residence_and_rank(client, activity_index, import_example):
    version = import_example("wavrin-centre-loisirs", current=True)
    page = ActivityPageFactory(parent=activity_index, baremes=[version.bareme])
    text = result_text(
        simulate(client, page, qf="900", residence="non_resident", rang="1")
    )
    assert "15,00 € par journée" in text
    assert "Colonne : Extérieur" in text
    text = result_text(simulate(client, page, qf="450", residence="resident", rang="2"))
    assert "5,00 € par journée" in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Indiquez votre quotient familial, ou cochez"),
        ({"qf": "850", "sans_qf": "on"}, "pas les deux"),
        ({"qf": "-5"}, "ne peut pas être négatif"),
        ({"qf": "huit cents"}, "par exemple 712 ou 712,50"),
        ({"qf": "850", "rang": "9"}, "Sélectionnez un choix valide"),
    ],
)
def test_simulator_errors_in_french(client, canteen, params, message):
    html = simulate(client, canteen, **{"residence": "resident", "rang": "1", **params})
    summary = html.select_one("form[data-simulator] [role=alert]")
    assert message in summary.get_text()
    assert not html.select_one("#simulateur-resultat").get_text(strip=True)


def test_simulator_stores_nothing(client, canteen, django_assert_num_queries):
    from django.contrib.sessions.models import Session

    simulate(client, canteen, qf="850", residence="resident", rang="1")
    assert not Session.objects.exists()
    assert "sessionid" not in client.cookies


def test_activity_page_with_several_baremes(client, activity_index, import_example):
    meals = import_example("champcevinel-restauration", current=True).bareme
    leisure = import_example("fay-aux-loges-restauration", current=True).bareme
    page = ActivityPageFactory(parent=activity_index, baremes=[meals, leisure])
    html = simulate(client, page, qf="1111", residence="resident", rang="1")
    assert len(html.select("table.tariff__table")) == 2
    text = result_text(html)
    assert "3,40 € par repas" in text and "4,00 € par repas" in text
    effort = html.select("table.tariff__table")[1]
    assert [th.get_text(strip=True) for th in effort.select("tbody th")] == [
        "Taux appliqué au quotient familial",
        "Prix plancher",
        "Prix plafond",
    ]
    assert effort.select_one("tbody td").get_text(strip=True) == "0,36 %"


def test_page_prices_with_the_latest_version(client, canteen):
    bareme = canteen.bareme_links.get().bareme
    bareme.brackets.filter(label__startswith="Tranche 2").update(price="3.45")
    bareme.record_version()
    text = result_text(
        simulate(client, canteen, qf="850", residence="resident", rang="1")
    )
    assert "3,45 € par repas" in text


def test_a_period_is_priced_only_by_a_barème_in_force_on_its_dates(
    client, activity_index, import_example
):
    """The demo's bug: a 2026-2027 period priced, and shown, with the 2022-2023 grid."""
    expired = import_example("groix-restauration").bareme  # 2021-2022
    current = import_example("champcevinel-restauration", current=True).bareme
    page = ActivityPageFactory(parent=activity_index, baremes=[expired, current])
    period = page.periods.get()
    assert page.pricing_version(period).bareme == current
    html = soup(client.get(page.url))
    captions = [
        table.caption.get_text() for table in html.select("table.tariff__table")
    ]
    assert len(captions) == 1 and "Restauration scolaire — repas" in captions[0]
    assert "2021" not in html.select_one(".tariff__rules").get_text()
    year = school_year()
    assert (
        f"Tarifs valables du {year.start:%d/%m/%Y} au {year.qf_valid_until:%d/%m/%Y}"
        in html.select_one(".tariff__rules").get_text()
    )
    periods = html.select_one("#periodes-titre").find_next("table").get_text()
    assert "ouvertes" in periods and "Restauration scolaire — repas" in periods


def test_enrolments_stay_closed_while_no_barème_covers_the_period(
    client, activity_index, import_example
):
    expired = import_example("champcevinel-restauration").bareme  # 2022-2023
    page = ActivityPageFactory(parent=activity_index, baremes=[expired])
    assert page.pricing_version(page.periods.get()) is None
    html = soup(client.get(page.url))
    periods = html.select_one("#periodes-titre").find_next("table").get_text()
    assert "Fermées" in periods and "aucun tarif n'est encore voté" in periods
    assert "ouvertes" not in periods
    assert not html.select("table.tariff__table")  # the old grid is not shown
    assert "S'inscrire en ligne" not in html.get_text()
    assert (
        ActivityPageFactory(parent=activity_index).pricing_version(page.periods.get())
        is None
    )


def test_a_barème_must_cover_the_whole_period(activity_index, import_example):
    version = import_example("champcevinel-restauration", current=True)
    page = ActivityPageFactory(parent=activity_index, baremes=[version.bareme])
    period = page.periods.get()
    period.end = version.pricing.valid_until + datetime.timedelta(days=1)
    assert page.pricing_version(period) is None
    period.end = version.pricing.valid_until
    assert page.pricing_version(period) == version


# Measured: the index takes 11 queries with 50 activities, the activity page 14 with one
# barème or five (routing, layout, links, versions, periods). One spare each.


def test_index_query_budget_with_fifty_activities(
    client, activity_index, django_assert_max_num_queries
):
    for number in range(50):
        ActivityPageFactory(parent=activity_index, title=f"Activité {number:02d}")
    client.get(activity_index.url)  # warm the site root paths cache, as in production
    with django_assert_max_num_queries(12):
        html = soup(
            client.get(activity_index.url, {"categorie": "loisirs", "age": "7"})
        )
    assert len(titles(html)) == 50


@pytest.mark.parametrize("names", [["wavrin-centre-loisirs"], EXAMPLE_NAMES])
def test_activity_page_query_budget(
    client, activity_index, import_example, django_assert_max_num_queries, names
):
    page = ActivityPageFactory(
        parent=activity_index,
        baremes=[import_example(name, current=True).bareme for name in names],
    )
    client.get(page.url)
    with django_assert_max_num_queries(15):
        html = simulate(client, page, qf="900", residence="resident", rang="2")
    assert len(html.select("table.tariff__table")) == len(names)


def _activity_form(period_start, period_end, bareme_pks):
    return nested_form_data(
        {
            "title": "Restauration",
            "slug": "restauration-test",
            "category": "restauration",
            "description": streamfield([]),
            "periods": inline_formset(
                [
                    {
                        "label": "Année scolaire",
                        "start": period_start.isoformat(),
                        "end": period_end.isoformat(),
                        "capacity": "25",
                        "enrolment_opens": (period_start.replace(month=6)).isoformat(),
                        "enrolment_closes": period_end.isoformat(),
                    }
                ]
            ),
            "bareme_links": inline_formset(
                [{"bareme": pk, "title": ""} for pk in bareme_pks]
            ),
            "documents": streamfield([]),
        }
    )


def test_the_editor_refuses_a_barème_that_covers_no_period(
    admin_client, activity_index, import_example
):
    """Linking last year's barème to a new period: a French error on the link."""
    expired = import_example("champcevinel-restauration").bareme  # 2022-2023
    year = school_year()
    url = reverse(
        "wagtailadmin_pages:add",
        args=["activities", "activitypage", activity_index.pk],
    )
    response = admin_client.post(
        url, _activity_form(year.start, year.end, [expired.pk])
    )
    assert response.status_code == 200  # the form again, nothing saved
    assert not ActivityPage.objects.filter(slug="restauration-test").exists()
    text = " ".join(BeautifulSoup(response.content, "html.parser").get_text().split())
    assert "Ce barème est valable du 01/09/2022 au 31/08/2023" in text
    assert "il ne couvre aucune période de l'activité" in text
    assert f"du {year.start:%d/%m/%Y} au {year.end:%d/%m/%Y}" in text


def test_the_editor_accepts_a_barème_in_force_and_warns_of_an_uncovered_period(
    admin_client, activity_index, import_example
):
    current = import_example("champcevinel-restauration", current=True).bareme
    year = school_year()
    url = reverse(
        "wagtailadmin_pages:add",
        args=["activities", "activitypage", activity_index.pk],
    )
    response = admin_client.post(
        url, _activity_form(year.start, year.end, [current.pk]), follow=True
    )
    page = ActivityPage.objects.get(slug="restauration-test")
    assert page.pricing_version(page.periods.get()).bareme == current
    assert "Aucun barème lié" not in response.content.decode()
    # Next year's period announced before the council votes: saved, with a warning.
    next_start = year.start.replace(year=year.start_year + 1)
    next_end = year.end.replace(year=year.end_year + 1)
    data = _activity_form(next_start, next_end, [])
    data["slug"] = "restauration-suivante"
    response = admin_client.post(url, data, follow=True)
    assert ActivityPage.objects.filter(slug="restauration-suivante").exists()
    text = " ".join(BeautifulSoup(response.content, "html.parser").get_text().split())
    assert "Aucun barème lié ne couvre la période « Année scolaire »" in text
    assert "ses inscriptions restent fermées" in text
