"""Agents start the yearly QF campaign from the back-office: a background task runs it,
its page shows the progress, then the report and the families to follow up."""

import pytest
from django.urls import reverse

from family_portal.models import AgentAction, QfCampaign, QfRefreshOutcome
from qf_connector.models import ApiCallLog

from . import test_commands_refresh
from .backoffice_support import (  # noqa: F401 - fixtures
    agent_client_fixture,
    agent_fixture,
    commune_fixture,
    editor_fixture,
    groups_fixture,
    text,
)
from .test_commands_refresh import calls_per_family, last_month

campaign = test_commands_refresh.campaign  # the fixture

pytestmark = pytest.mark.django_db


def test_an_agent_starts_the_campaign_and_reads_its_report(
    agent_client,
    agent,
    campaign,
    api_particulier,
    django_capture_on_commit_callbacks,
):
    url = reverse("family_backoffice:campaign_list")
    page = text(agent_client.get(url))
    assert "des 4 familles qui l'ont accepté" in page
    assert f'value="{last_month()}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url, {"month": last_month()})
    run = QfCampaign.objects.get()
    assert response.url == reverse("family_backoffice:campaign_detail", args=[run.pk])
    assert (run.status, run.done, run.total) == ("done", 4, 4)
    assert run.requested_by == agent
    assert QfRefreshOutcome.objects.count() == 4
    assert all(count == 1 for count in calls_per_family().values())

    status = agent_client.get(
        reverse("family_backoffice:campaign_status", args=[run.pk])
    ).json()
    assert status["status_label"] == "Terminé" and status["percent"] == 100
    page = text(agent_client.get(response.url))
    assert "Familles traitées</th><td>4" in page
    assert "Quotient mis à jour</th><td>2" in page
    assert "Famille Inconnue" in page and "Pas de quotient CAF ou MSA" in page
    action = AgentAction.objects.get(kind=AgentAction.Kind.QF_CAMPAIGN_STARTED)
    assert action.user == agent


def test_a_second_run_of_the_same_month_is_refused_while_one_runs(
    agent_client,
    campaign,
    api_particulier,
):
    QfCampaign.objects.create(month=f"{last_month()}-01", status="running")
    response = agent_client.post(
        reverse("family_backoffice:campaign_list"), {"month": last_month()}
    )
    assert "est déjà en cours" in text(response)
    assert QfCampaign.objects.count() == 1 and not ApiCallLog.objects.exists()


def test_the_month_is_checked_in_french(agent_client, campaign):
    response = agent_client.post(
        reverse("family_backoffice:campaign_list"), {"month": "janvier"}
    )
    assert "AAAA-MM" in text(response) and not QfCampaign.objects.exists()


def test_editors_cannot_see_or_start_the_campaign(client, editor):
    client.force_login(editor)
    response = client.get(reverse("family_backoffice:campaign_list"))
    assert response.status_code in (302, 403) and "Lancer" not in text(response)
