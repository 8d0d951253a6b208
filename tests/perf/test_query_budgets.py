"""Query budgets: each public page type, each wizard step and the family space take a
fixed number of queries, the same with 5 items as with 50, so an N+1 cannot land.

Measured with the caches off (``no_page_cache``): the worst case, every template
rendered. With the caches on, an anonymous visitor's page takes no query at all and a
signed-in parent's a few (see test_page_cache.py).
"""

import datetime

import pytest
from django.urls import reverse
from wagtail.models import Site

from activities.models import ActivityPeriod
from family_portal import enrolment
from family_portal.models import Enrolment
from home import communes
from home.models import CommuneSettings, ContentPage, HomePageHighlight
from qf_connector.fakeapi.cases import DEMO_ALLOCATAIRE
from tests.activities.factories import ActivityIndexPageFactory, ActivityPageFactory
from tests.dates import born
from tests.family_portal.factories import ChildFactory, FamilyFactory, GuardianFactory

from .conftest import QueryCount

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]

# Measured with the caches off; the routing of Wagtail's page view (site, pages, view
# restrictions) is about half of each page's queries.
# The home page: + the highlighted activities, their pages, periods and places left (4).
HOME_BUDGET = 11
# The search: + the count, the results, one query per page type among them (specific
# pages: at most the five page types), the home page's news, the activities' periods
# and places left.
SEARCH_BUDGET = 12
SITE_PLAN_BUDGET = 5
ACTIVITY_INDEX_BUDGET = 11
ACTIVITY_PAGE_BUDGET = 13
DASHBOARD_BUDGET = 14
# GET and POST of each wizard step, as a signed-in parent.
WIZARD_BUDGETS = {
    # GET: + the periods whose window is open but that no barème covers yet (a notice).
    "enfants": (17, 14),
    "quotient": (12, 11),
    # POST: + the lookups of the day per account, identity and address (one query).
    "caf-msa": (14, 32),
    "tarif": (20, 11),
    "confirmation": (20, 11),
    # GET of the "done" URL (saves the two enrolments), GET of the result page.
    "termine": (43, 7),
}


def enrol_one_child(period):
    family = FamilyFactory()
    enrolment.confirm(
        family,
        CommuneSettings.for_site(Site.objects.get(is_default_site=True)),
        period,
        [ChildFactory(family=family)],
        enrolment.QfChoice(Enrolment.QfSource.NONE),
    )


def measure_twice(count, url, grow, data=None):
    """The queries of GET ``url``, before and after ``grow()`` adds 45 items."""
    count.client.get(url, data)  # warm Wagtail's site root paths, as in production
    before, response = count("get", url, data)
    assert response.status_code == 200
    grow()
    count.client.get(url, data)
    after, response = count("get", url, data)
    assert response.status_code == 200
    return before, after, response


@pytest.fixture
def priced_activity(canteen):
    """A new activity beside the canteen, priced by its barème, one child enrolled."""
    index = canteen.get_parent()
    bareme = canteen.bareme_links.get().bareme
    enrol_one_child(canteen.periods.get())

    def make(**fields):
        activity = ActivityPageFactory(parent=index, baremes=[bareme], **fields)
        enrol_one_child(activity.periods.get())
        return activity

    return make


def test_home_page(client, home_page, priced_activity):
    """The menu grows, and so do the highlighted activities with their periods and
    enrolments: their windows and places left are read in a fixed number of queries."""

    def add_pages(first, last):
        for number in range(first, last):
            page = ContentPage(
                title=f"Rubrique {number}",
                slug=f"rubrique-{number}",
                show_in_menus=True,
            )
            home_page.add_child(instance=page)
            page.save_revision().publish()
            activity = priced_activity(title=f"Activité {number}")
            period = activity.periods.get()
            ActivityPeriod.objects.create(
                activity=activity,
                label="Stage",
                start=period.start,
                end=period.end,
                capacity=5,
                enrolment_opens=period.enrolment_opens,
                enrolment_closes=period.enrolment_closes,
            )
            HomePageHighlight.objects.create(
                home=home_page, page=activity, text="À lire", sort_order=number
            )

    add_pages(0, 5)
    before, after, response = measure_twice(
        QueryCount(client), "/", lambda: add_pages(5, 50)
    )
    html = response.content.decode()
    assert "Rubrique 49" in html and "Activité 49" in html
    assert html.count("29 places restantes") == 50
    assert before == after <= HOME_BUDGET


def test_home_page_without_a_choice(client, home_page, priced_activity):
    """The activities shown on their own take a fixed number of queries too."""

    def add_activities(first, last):
        for number in range(first, last):
            priced_activity(title=f"Activité {number}")

    add_activities(0, 5)
    before, after, response = measure_twice(
        QueryCount(client), "/", lambda: add_activities(5, 50)
    )
    assert response.content.decode().count("29 places restantes") == 3
    assert before == after <= HOME_BUDGET


def test_search(client, home_page, priced_activity):
    """A page of results: activities with their windows and places left, content pages
    and news items, in a fixed number of queries however many match."""

    def add_results(first, last):
        for number in range(first, last):
            priced_activity(title=f"Atelier {number}", introduction="Atelier")
            page = ContentPage(title=f"Atelier page {number}", slug=f"page-{number}")
            home_page.add_child(instance=page)
            page.save_revision().publish()

    add_results(0, 5)
    url = reverse("discovery:search")
    before, after, response = measure_twice(
        QueryCount(client), url, lambda: add_results(5, 50), {"q": "atelier"}
    )
    html = response.content.decode()
    assert "100 résultats" in html and "page 1 sur 10" in html
    # Not always equal: a page of results holding both page types takes one query more
    # than a page holding one, however many pages match.
    assert before <= SEARCH_BUDGET and after <= SEARCH_BUDGET
    last, response = QueryCount(client)("get", url, {"q": "atelier", "page": "10"})
    assert last <= SEARCH_BUDGET
    empty, response = QueryCount(client)("get", url, {"q": "zzzzz"})
    assert "Aucun résultat" in response.content.decode()
    assert empty <= SEARCH_BUDGET


def test_site_plan(client, home_page):
    def add_pages(first, last):
        for number in range(first, last):
            page = ContentPage(title=f"Rubrique {number}", slug=f"rubrique-{number}")
            home_page.add_child(instance=page)
            page.save_revision().publish()
            child = ContentPage(title=f"Sous-rubrique {number}", slug="sous")
            page.add_child(instance=child)
            child.save_revision().publish()

    add_pages(0, 5)
    before, after, response = measure_twice(
        QueryCount(client), reverse("site_plan"), lambda: add_pages(5, 50)
    )
    assert "Sous-rubrique 49" in response.content.decode()
    assert before == after <= SITE_PLAN_BUDGET


def test_activity_index(client, home_page):
    index = ActivityIndexPageFactory(parent=home_page, slug="activites")

    def add_activities(first, last):
        for number in range(first, last):
            ActivityPageFactory(parent=index, title=f"Activité {number:02d}")

    add_activities(0, 5)
    before, after, response = measure_twice(
        QueryCount(client), index.url, lambda: add_activities(5, 50)
    )
    assert response.content.decode().count('class="card__link"') == 50
    assert before == after <= ACTIVITY_INDEX_BUDGET
    # Filtered (a query string): computed for each request, with the same budget.
    filtered, response = QueryCount(client)(
        "get", index.url, {"categorie": "loisirs", "age": "7"}
    )
    assert filtered <= ACTIVITY_INDEX_BUDGET


def test_activity_page_and_its_simulator(client, canteen):
    period = canteen.periods.get()

    def add_periods(first, last):
        for number in range(first, last):
            ActivityPeriod.objects.create(
                activity=canteen,
                label=f"Période {number}",
                start=period.start,
                end=period.end,
                capacity=10,
                enrolment_opens=period.enrolment_opens,
                enrolment_closes=period.enrolment_closes,
            )

    add_periods(0, 4)
    before, after, response = measure_twice(
        QueryCount(client), canteen.url, lambda: add_periods(4, 49)
    )
    assert "Période 48" in response.content.decode()
    assert before == after <= ACTIVITY_PAGE_BUDGET
    simulated, response = QueryCount(client)(
        "get",
        canteen.url,
        {"simuler": "1", "qf": "900", "residence": "resident", "rang": "1"},
    )
    assert "Votre tarif estimé" in response.content.decode()
    assert simulated <= ACTIVITY_PAGE_BUDGET


def test_family_space_dashboard(client, home_page, canteen, giraud_family):
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    period = canteen.periods.get()
    period.capacity = 100
    period.save()

    def add_children_and_enrolments(count):
        children = [ChildFactory(family=giraud_family) for _ in range(count)]
        enrolment.confirm(
            giraud_family,
            commune,
            period,
            children,
            enrolment.QfChoice(Enrolment.QfSource.NONE),
        )

    add_children_and_enrolments(5)
    client.force_login(giraud_family.users.get())
    before, after, response = measure_twice(
        QueryCount(client),
        reverse("family_portal:dashboard"),
        lambda: add_children_and_enrolments(45),
    )
    assert response.content.decode().count("Inscription confirmée") >= 50
    assert before == after <= DASHBOARD_BUDGET


class WizardRun:
    """One parent through the wizard (API Particulier path), counting each request."""

    def __init__(self, client, activity, family):
        self.count = QueryCount(client)
        self.client = client
        self.activity = activity
        self.family = family
        self.prefix = f"inscription_{activity.pk}"
        self.queries = {}

    def url(self, step):
        return reverse("family_portal:enrol_step", args=[self.activity.pk, step])

    def step(self, step, data):
        got, response = self.count("get", self.url(step))
        assert response.status_code == 200, step
        payload = {f"{self.prefix}-current_step": step}
        payload.update({f"{step}-{key}": value for key, value in data.items()})
        posted, response = self.count("post", self.url(step), payload)
        assert response.status_code == 302, (step, response.content.decode()[:2000])
        self.queries[step] = (got, posted)
        return response

    def run(self, children, period):
        response = self.client.get(
            reverse("family_portal:enrol", args=[self.activity.pk])
        )
        assert response.status_code == 302
        guardian = self.family.guardians.get()
        self.step(
            "enfants", {"children": [c.pk for c in children], "period": period.pk}
        )
        self.step("quotient", {"source": "api"})
        self.step(
            "caf-msa",
            {
                "guardian": guardian.pk,
                "birth_name": guardian.birth_name,
                "first_names": " ".join(guardian.first_names),
                "sex": guardian.sex,
                "birth_date": guardian.birth_date.isoformat(),
                "birth_commune_code": communes.unique_label(
                    communes.by_code(guardian.birth_commune_code)
                ),
                "birth_country_code": "",
                "consent": "on",
            },
        )
        self.step("tarif", {})
        response = self.step("confirmation", {"accept": "on"})
        # The last step's POST sends to the "done" URL, which saves the enrolments.
        done, response = self.count("get", response["Location"])
        assert reverse("family_portal:enrolment_result") in response["Location"]
        result, response = self.count("get", response["Location"])
        assert response.status_code == 200
        self.queries["termine"] = (done, result)
        return self.queries


def family_of_the_demo_allocataire(children):
    """A family whose guardian is the fake API's demo allocataire (QF 1200)."""
    family = FamilyFactory()
    GuardianFactory(
        family=family,
        birth_name=DEMO_ALLOCATAIRE["birth_name"].title(),
        first_name=DEMO_ALLOCATAIRE["first_names"][0].title(),
        sex=DEMO_ALLOCATAIRE["sex"],
        birth_date=datetime.date.fromisoformat(DEMO_ALLOCATAIRE["birth_date"]),
        birth_commune_code=DEMO_ALLOCATAIRE["birth_commune"],
    )
    for _ in range(children):
        ChildFactory(family=family, birth_date=born(5, 4, age=7))
    return family


def test_each_wizard_step(client, canteen, api_particulier):
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    period = canteen.periods.get()
    period.capacity = 500
    period.save()

    def enrol_other_families(count):
        for _ in range(count):
            family = FamilyFactory()
            enrolment.confirm(
                family,
                commune,
                period,
                [ChildFactory(family=family)],
                enrolment.QfChoice(Enrolment.QfSource.NONE),
            )

    runs = []
    enrolled = 0
    # A family of `size` children enrols two of them, while `size` other families are
    # enrolled. The first run warms what each process reads once (content types).
    for size in (5, 5, 50):
        enrol_other_families(size - enrolled)
        enrolled = size
        family = family_of_the_demo_allocataire(size)
        client.force_login(family.users.get())
        runs.append(
            WizardRun(client, canteen, family).run(
                list(family.children.order_by("pk")[:2]), period
            )
        )
    _warm_up, small, large = runs
    assert small == large
    for step, (got, posted) in large.items():
        get_budget, post_budget = WIZARD_BUDGETS[step]
        assert got <= get_budget, (step, "GET", got)
        assert posted <= post_budget, (step, "POST", posted)
