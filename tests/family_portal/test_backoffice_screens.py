"""The back-office screens: each renders for an agent within its query budget, and the
permission matrix (anonymous, parent, editor, agent) over every back-office URL."""

import datetime
import html
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from family_portal.models import AgentAction, Enrolment, QfDocument, QuotientRecord
from qf_connector.models import ApiCallLog

from .backoffice_support import (  # noqa: F401 - fixtures
    agent_client_fixture,
    agent_fixture,
    commune_fixture,
    document,
    editor_fixture,
    enrol,
    groups_fixture,
    period_of,
    quotient,
)
from .factories import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(canteen, giraud_family, commune, agent):
    period = period_of(canteen)
    record = quotient(giraud_family, "1200")
    enrolments = enrol(
        giraud_family,
        commune,
        period,
        source=Enrolment.QfSource.RECORD,
        quotient=record,
    )
    other = FamilyFactory(name="Famille Roux")
    ChildFactory(
        family=other, first_name="Jules", last_name="Roux", school="École des Tilleuls"
    )
    pending = enrol(other, commune, period, source=Enrolment.QfSource.DOCUMENT)[0]
    doc = document(other)
    period.capacity = 3
    period.save()
    late = FamilyFactory(name="Famille Lefebvre")
    ChildFactory(family=late, first_name="Zoé", last_name="Lefebvre")
    waiting = enrol(late, commune, period)[0]
    action = AgentAction.objects.create(
        kind=AgentAction.Kind.QF_RECORDED, user=agent, family=other, reason="test"
    )
    log = ApiCallLog.objects.create(
        family_id=giraud_family.pk,
        endpoint="/v3/dss/quotient_familial/identite",
        started_at=timezone.now(),
        duration_ms=12,
        http_status=404,
        error_kind="no_file",
    )
    return {
        "family": giraud_family,
        "child": giraud_family.children.first(),
        "guardian": giraud_family.guardians.first(),
        "enrolment": enrolments[0],
        "pending": pending,
        "waiting": waiting,
        "document": doc,
        "quotient": record,
        "period": period,
        "action": action,
        "log": log,
    }


def backoffice_urls(scene):
    """Every back-office URL, with what an agent must get (200, or a redirect)."""
    family, enrolment = scene["family"], scene["enrolment"]
    urls = []
    for model, pk in [
        ("family", family.pk),
        ("child", scene["child"].pk),
        ("guardian", scene["guardian"].pk),
        ("enrolment", enrolment.pk),
        ("quotientrecord", scene["quotient"].pk),
        ("qfdocument", None),
        ("agentaction", scene["action"].pk),
    ]:
        prefix = f"family_portal_{model}_modeladmin"
        urls.append(reverse(f"{prefix}_index"))
        urls.append(reverse(f"{prefix}_index") + "?export=csv")
        urls.append(reverse(f"{prefix}_index") + "?export=xlsx")
        if model in {"family", "enrolment", "quotientrecord", "agentaction"}:
            urls.append(reverse(f"{prefix}_inspect", args=[pk]))
        if model in {"family", "child", "guardian"}:
            urls.append(reverse(f"{prefix}_create"))
            urls.append(reverse(f"{prefix}_edit", args=[pk]))
    urls += [
        reverse("qf_connector_apicalllog_modeladmin_index"),
        reverse("qf_connector_apicalllog_modeladmin_inspect", args=[scene["log"].pk]),
        reverse("family_backoffice:document_check", args=[scene["document"].pk]),
        reverse("family_backoffice:document_file", args=[scene["document"].pk]),
        reverse("family_backoffice:qf_pending"),
        reverse("family_backoffice:family_refresh", args=[family.pk]),
        reverse("family_backoffice:quotient_add", args=[family.pk]),
        reverse("family_backoffice:period_list"),
        reverse("family_backoffice:period_detail", args=[scene["period"].pk]),
        reverse("family_backoffice:period_reprice", args=[scene["period"].pk]),
        reverse("family_backoffice:enrolment_reprice", args=[enrolment.pk]),
        reverse("family_backoffice:enrolment_override", args=[enrolment.pk]),
        reverse("family_backoffice:enrolment_cancel", args=[enrolment.pk]),
        reverse("family_backoffice:enrolment_promote", args=[scene["waiting"].pk]),
        reverse("family_backoffice:counter_search") + "?q=Giraud",
        reverse("family_backoffice:counter_enrol", args=[family.pk]),
        reverse(
            "wagtailsettings:edit",
            args=[
                "family_portal",
                "familyservicesettings",
                scene["period"].activity.get_site().pk,
            ],
        ),
    ]
    return urls


def test_every_screen_renders_for_an_agent(agent_client, scene):
    for url in backoffice_urls(scene):
        response = agent_client.get(url)
        assert response.status_code == 200, url


def test_an_editor_is_refused_everywhere(client, editor, scene):
    client.force_login(editor)
    for url in backoffice_urls(scene):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/"), url
        assert b"Giraud" not in response.content, url
    # And nothing changes on a POST either.
    response = client.post(
        reverse("family_backoffice:enrolment_cancel", args=[scene["enrolment"].pk]),
        {"reason": "essai"},
    )
    assert response.status_code in (302, 403)
    scene["enrolment"].refresh_from_db()
    assert scene["enrolment"].status == Enrolment.Status.CONFIRMED


def test_anonymous_and_parents_are_sent_to_sign_in(client, scene):
    urls = backoffice_urls(scene)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"], url
    client.force_login(scene["family"].users.get())
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert b"Giraud" not in response.content


def test_a_user_without_group_is_refused(client, scene, groups):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    # Admin access alone (an editor-like account) opens no family screen.
    user = UserFactory(username="staff")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    for url in backoffice_urls(scene):
        assert client.get(url).status_code in (302, 403), url


def test_menu_panel_and_search_for_agents_only(
    client, agent, editor, admin_user, scene
):
    client.force_login(agent)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert json.dumps("Portail Famille")[1:-1] in home
    for label in [
        "Familles",
        "Enfants",
        "Inscriptions",
        "Justificatifs à vérifier",
        "Quotients familiaux",
        "Journal API Particulier",
        "Barèmes",
        "Inscription au guichet",
        "Périodes et listes d'attente",
    ]:
        # The sidebar menu is a JSON document in the page.
        assert json.dumps(label)[1:-1] in home, label
    assert "Appels API Particulier" not in home  # one call log screen, in the group
    assert "justificatif" in home  # the dashboard panel
    # The admin search (for users who may search pages) offers the families.
    client.force_login(admin_user)
    search = client.get(
        reverse("wagtailadmin_pages:search"), {"q": "Giraud"}
    ).content.decode()
    assert reverse("family_portal_family_modeladmin_index") + "?q=Giraud" in search

    client.force_login(editor)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Portail Famille" not in home
    assert "justificatif" not in home
    search = client.get(
        reverse("wagtailadmin_pages:search"), {"q": "Giraud"}
    ).content.decode()
    assert reverse("family_portal_family_modeladmin_index") not in search
    assert "Famille Giraud" not in search
    history = client.get(reverse("wagtailadmin_reports:site_history"))
    assert b"Giraud" not in history.content and b"Roux" not in history.content


def add_families(commune, period, count, source=None):
    period.capacity = 1000
    period.save()
    for index in range(count):
        family = FamilyFactory(name=f"Famille {index}")
        ChildFactory(family=family, school=f"École {index % 3}")
        if source:
            enrol(family, commune, period, source=source)
        else:
            enrol(family, commune, period)
        document(family)
        quotient(family, "800")
        AgentAction.objects.create(kind=AgentAction.Kind.QF_RECORDED, family=family)


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "url_name, budget",
    [
        ("family_portal_family_modeladmin_index", 22),
        ("family_portal_child_modeladmin_index", 22),
        ("family_portal_enrolment_modeladmin_index", 25),
        ("family_portal_quotientrecord_modeladmin_index", 22),
        ("family_portal_qfdocument_modeladmin_index", 22),
        ("family_portal_agentaction_modeladmin_index", 22),
        ("family_backoffice:qf_pending", 14),
        ("family_backoffice:period_list", 10),
    ],
)
def test_list_screens_have_a_query_budget(
    agent_client, scene, commune, url_name, budget, django_assert_max_num_queries
):
    url = reverse(url_name)
    agent_client.get(url)  # warm the per-process caches (content types, settings)
    before = count_queries(agent_client, url)
    # Twenty more families, each enrolled: the number of queries must not grow.
    add_families(commune, scene["period"], 20, source=Enrolment.QfSource.DOCUMENT)
    with django_assert_max_num_queries(budget):
        response = agent_client.get(url)
    assert response.status_code == 200
    assert count_queries(agent_client, url) == before


def test_the_family_page_has_a_query_budget(
    agent_client, scene, commune, django_assert_max_num_queries
):
    url = reverse("family_portal_family_modeladmin_inspect", args=[scene["family"].pk])
    with django_assert_max_num_queries(24):
        response = agent_client.get(url)
    assert response.status_code == 200


def test_enrolments_are_filtered_and_exported(agent_client, scene):
    url = reverse("family_portal_enrolment_modeladmin_index")
    period = scene["period"]
    html = agent_client.get(url, {"status__exact": "waiting"}).content.decode()
    assert "Zoé" in html and "Léa" not in html
    html = agent_client.get(url, {"ecole": "École des Tilleuls"}).content.decode()
    assert "Jules" in html and "Léa" not in html
    html = agent_client.get(url, {"qf_source__exact": "record"}).content.decode()
    assert "Léa" in html and "Jules" not in html
    html = agent_client.get(url, {"period__id__exact": period.pk}).content.decode()
    assert "Léa" in html and "Restauration scolaire — Année scolaire" in html
    html = agent_client.get(url, {"activite": period.activity_id}).content.decode()
    assert "Zoé" in html
    html = agent_client.get(
        url, {"tranche": scene["enrolment"].bracket}
    ).content.decode()
    assert "Léa" in html and "Jules" not in html
    response = agent_client.get(url, {"export": "csv", "status__exact": "confirmed"})
    body = b"".join(response.streaming_content).decode()
    assert "Léa" in body and "Zoé" not in body
    assert "Restauration scolaire" in body and "3.40" in body
    response = agent_client.get(url, {"export": "xlsx"})
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )


def test_csv_exports_defuse_formulas(agent_client, scene):
    family = scene["family"]
    family.name = '=HYPERLINK("http://example.org")'
    family.save()
    response = agent_client.get(
        reverse("family_portal_family_modeladmin_index"), {"export": "csv"}
    )
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


def test_document_queue_lists_documents_to_check_by_default(agent_client, scene):
    checked = document(scene["family"])
    checked.status = QfDocument.Status.REJECTED
    checked.save()
    url = reverse("family_portal_qfdocument_modeladmin_index")
    html = agent_client.get(url).content.decode()
    assert "Famille Roux" in html and "Famille Giraud" not in html
    assert (
        reverse("family_backoffice:document_check", args=[scene["document"].pk]) in html
    )
    html = agent_client.get(url, {"etat": "tous"}).content.decode()
    assert "Famille Giraud" in html


def test_the_document_file_is_served_to_agents_inline(agent_client, scene):
    response = agent_client.get(
        reverse("family_backoffice:document_file", args=[scene["document"].pk])
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_family_page_gathers_its_file(agent_client, scene):
    html = agent_client.get(
        reverse("family_portal_family_modeladmin_inspect", args=[scene["family"].pk])
    ).content.decode()
    for text in [
        "Anne Giraud",
        "Léa",
        "Tom",
        "1200",
        "Inscrire au guichet",
        "Actualiser le QF",
    ]:
        assert text in html, text


def test_a_qf_far_older_than_the_api_would_give_is_flagged_to_agents(
    agent_client, scene
):
    family = scene["family"]
    inspect = reverse("family_portal_family_modeladmin_inspect", args=[family.pk])
    assert "QF ancien" not in agent_client.get(inspect).content.decode()
    # A June 2023 QF stored as current today (the fake API's staging answer).
    QuotientRecord.objects.filter(family=family).update(month=datetime.date(2023, 6, 1))
    for url in (
        inspect,
        reverse("family_backoffice:family_refresh", args=[family.pk]),
        reverse("family_portal_quotientrecord_modeladmin_index"),
    ):
        html = agent_client.get(url).content.decode()
        assert "QF ancien : mois de juin 2023" in html, url
        assert "vérifiez-le auprès de la famille" in html, url


def test_a_child_added_from_the_family_page(agent_client, scene):
    family = scene["family"]
    url = reverse("family_portal_child_modeladmin_create") + f"?family={family.pk}"
    assert (
        f'<option value="{family.pk}" selected'
        in agent_client.get(url).content.decode()
    )
    response = agent_client.post(
        url,
        {
            "family": family.pk,
            "first_name": "Nina",
            "last_name": "Giraud",
            "birth_date": "2019-04-02",
            "school_level": "CE1",
            "school": "",
        },
    )
    assert response.status_code == 302
    assert family.children.filter(first_name="Nina").exists()
    assert response["Location"] == reverse(
        "family_portal_family_modeladmin_inspect", args=[family.pk]
    )


def test_today_is_inside_the_test_period(scene):
    # The factories' period follows today's date (tests.dates): it is the current school
    # year, not over yet, and its enrolment window is open, for the dashboard and counter
    # tests whatever day the suite runs.
    period, today = scene["period"], timezone.localdate()
    assert period.enrolment_opens <= today <= period.enrolment_closes
    assert today <= period.end
    assert period.start <= today or today.month in (7, 8)
    assert period.end - period.start > datetime.timedelta(days=300)


def test_the_api_call_log_screen_speaks_french(agent_client, giraud_family):
    for origin in ("wizard", "retry"):
        ApiCallLog.objects.create(
            origin=origin,
            endpoint="/v3/dss/quotient_familial/identite",
            started_at=timezone.now(),
            duration_ms=80,
            http_status=200,
            family_id=giraud_family.pk,
        )
    page = html.unescape(
        agent_client.get(
            reverse("qf_connector_apicalllog_modeladmin_index")
        ).content.decode()
    )
    for english in (">wizard<", ">retry<", "Any date", ">All<", "Past 7 days"):
        assert english not in page
    for french in (
        "Parcours d'inscription",
        "Nouvelle tentative automatique",
        "Toutes les dates",
        "Les 7 derniers jours",
        ">Tous<",
    ):
        assert french in page
