"""The dashboard panel on the Wagtail admin home: places against capacity, documents
waiting, API errors of the last 24 hours, children by bracket as SVG with its table."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from family_portal.backoffice import dashboard
from family_portal.backoffice.charts import bar_chart_svg
from family_portal.models import Enrolment
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
    text,
)
from .factories import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db


def log(minutes_ago, error_kind=""):
    return ApiCallLog.objects.create(
        endpoint="/v3/dss/quotient_familial/identite",
        started_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        duration_ms=10,
        http_status=503 if error_kind else 200,
        error_kind=error_kind,
    )


@pytest.fixture
def activity(canteen, giraud_family, commune):
    period = period_of(canteen)
    period.capacity = 4
    period.save()
    # Léa and Tom: QF 1 200 € (bracket 3).
    enrol(
        giraud_family,
        commune,
        period,
        source=Enrolment.QfSource.RECORD,
        quotient=quotient(giraud_family, "1200"),
    )
    # Jules: QF 600 € (bracket 1).
    roux = FamilyFactory(name="Famille Roux")
    ChildFactory(family=roux, first_name="Jules")
    enrol(
        roux,
        commune,
        period,
        source=Enrolment.QfSource.RECORD,
        quotient=quotient(roux, "600"),
    )
    # Zoé: a document to check (provisional price, no QF yet).
    lefebvre = FamilyFactory(name="Famille Lefebvre")
    ChildFactory(family=lefebvre, first_name="Zoé")
    enrol(lefebvre, commune, period, source=Enrolment.QfSource.DOCUMENT)
    document(lefebvre)
    # Paul: the period is full, he waits (not counted in the chart).
    martin = FamilyFactory(name="Famille Martin")
    ChildFactory(family=martin, first_name="Paul")
    enrol(martin, commune, period)
    log(5, "unavailable")
    log(30)
    log(60 * 30, "unavailable")  # more than 24 hours ago
    return period


def test_the_figures(activity):
    figures = dashboard.figures()
    (load,) = figures["loads"]
    assert (load.confirmed, load.pending, load.waiting) == (3, 1, 1)
    assert (load.taken, load.free, load.percent) == (4, 0, 100)
    assert figures["documents_waiting"] == 1
    assert figures["qf_pending"] == 1
    assert (figures["api_errors"], figures["api_calls"]) == (1, 2)
    (chart,) = figures["charts"]
    assert chart.bareme == "Restauration scolaire — repas"
    assert chart.rows == [
        ("Tranche 1 : QF de 0 à 622 €", 1),
        ("Tranche 2 : QF de 623 à 1000 €", 0),
        ("Tranche 3 : QF de 1001 à 1500 €", 2),
        ("Tranche 4 : QF de 1501 € et plus", 0),
        ("Sans quotient familial", 1),
    ]
    assert chart.total == 4


def test_a_finished_period_leaves_the_panel(activity):
    activity.end = datetime.date.today() - datetime.timedelta(days=1)
    activity.start = activity.end - datetime.timedelta(days=30)
    activity.save()
    figures = dashboard.figures()
    assert figures["loads"] == [] and figures["charts"] == []


def test_the_panel_on_the_admin_home(
    agent_client, activity, django_assert_max_num_queries
):
    with django_assert_max_num_queries(40):
        response = agent_client.get(reverse("wagtailadmin_home"))
    html = text(response)
    assert 'id="family-service-section"' in html
    assert "1</strong> justificatif à vérifier" in html
    assert "1</strong> erreur d'API Particulier sur 2 appels" in html
    assert "Restauration scolaire — Année scolaire" in html
    svg = re.search(
        r"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\".*?</svg>", html, re.S
    )
    assert svg is not None
    svg = svg.group(0)
    assert svg.count("<rect") == 5
    assert '<title id="fp-chart-0-title">Enfants inscrits par tranche' in svg
    assert "Tranche 3 : QF de 1001 à 1500 €" in svg
    # The data table says the same as the chart.
    assert re.search(r"Tranche 3 : QF de 1001 à 1500 €</th><td>2</td>", html)
    assert "<script" not in svg


def test_editors_do_not_get_the_panel(client, editor, activity):
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "family-service" not in html and "Famille" not in html


def test_bars_scale_and_labels_are_escaped():
    svg = bar_chart_svg("c", "Titre", [("<b>A</b>", 10), ("B & C", 5), ("D", 0)])
    widths = [float(width) for width in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    assert "&lt;b&gt;A&lt;/b&gt;" in svg and "B &amp; C" in svg
    assert 'aria-labelledby="c-title c-desc"' in svg
    assert bar_chart_svg("e", "Vide", []).count("<rect") == 0
