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


def test_a_campaign_left_running_by_a_dead_process_is_resumed_without_asking_twice(
    agent_client,
    agent,
    campaign,
    api_particulier,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """The worker dies after two families (a BaseException, as a killed process
    leaves no chance to clean up): the row stays "en cours" and beats no more. Once
    its lease has expired, agents see it interrupted, cannot start the month again,
    and resume it: the fake API is asked once per family in all."""
    from django.utils import timezone

    from family_portal.backoffice import refresh

    real = refresh._lookup_outcome
    looked = []

    def dies_at_the_third(family, *args):
        if len(looked) == 2:
            raise SystemExit("worker killed")
        looked.append(family.pk)
        return real(family, *args)

    monkeypatch.setattr(refresh, "_lookup_outcome", dies_at_the_third)
    url = reverse("family_backoffice:campaign_list")
    # The immediate backend records the task as failed and goes on; the row, which
    # no code path updated, stays as a killed process leaves it.
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url, {"month": last_month()})
    monkeypatch.setattr(refresh, "_lookup_outcome", real)
    run = QfCampaign.objects.get()
    assert run.status == "running" and run.runner and not run.interrupted
    assert QfRefreshOutcome.objects.count() == 2
    asked_before = api_particulier.stats()["requests"]
    detail = reverse("family_backoffice:campaign_detail", args=[run.pk])
    assert "Reprendre la campagne" not in text(agent_client.get(detail))

    # A minute and more without a beat: the process is gone.
    QfCampaign.objects.update(
        heartbeat_at=timezone.now() - QfCampaign.lease() - timezone.timedelta(seconds=1)
    )
    page = text(agent_client.get(detail))
    assert "Interrompue" in page and "Reprendre la campagne" in page
    assert "Interrompue" in text(agent_client.get(url))
    status = agent_client.get(
        reverse("family_backoffice:campaign_status", args=[run.pk])
    ).json()
    assert status["interrupted"] and status["status_label"] == "Interrompue"
    refused = text(agent_client.post(url, {"month": last_month()}))
    assert "a été interrompue : reprenez-la" in refused

    resume = reverse("family_backoffice:campaign_resume", args=[run.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(resume)
    assert response.url == detail
    run.refresh_from_db()
    assert (run.status, run.done, run.total, run.runner) == ("done", 4, 4, None)
    assert QfRefreshOutcome.objects.count() == 4
    # Three families have an identity: three requests in all, one each.
    assert api_particulier.stats()["requests"] == 3 > asked_before
    assert all(count == 1 for count in calls_per_family().values())
    assert "Familles déjà faites avant</th><td>2" in text(agent_client.get(detail))
    assert AgentAction.objects.get(kind="qf_campaign_resumed").user == agent

    # Finished: nothing to resume.
    with django_capture_on_commit_callbacks(execute=True):
        page = text(agent_client.post(resume, follow=True))
    assert "n'est pas interrompue" in page
    assert api_particulier.stats()["requests"] == 3


def test_a_campaign_still_beating_cannot_be_resumed(agent_client, campaign):
    from django.utils import timezone

    run = QfCampaign.objects.create(
        month=f"{last_month()}-01", status="running", heartbeat_at=timezone.now()
    )
    page = text(
        agent_client.post(
            reverse("family_backoffice:campaign_resume", args=[run.pk]), follow=True
        )
    )
    assert "n'est pas interrompue" in page
    run.refresh_from_db()
    assert run.status == "running" and not ApiCallLog.objects.exists()


def test_a_run_whose_lease_was_taken_over_stops(campaign, commune, api_particulier):
    """An agent resumed the campaign while its first run was only slow: the first
    run's next beat finds the lease gone and stops taking families."""
    from family_portal.backoffice import campaigns

    run = QfCampaign.objects.create(month=f"{last_month()}-01")
    first = campaigns.Lease(run)
    assert first.take() and first.beat()
    assert not campaigns.Lease(run).take()  # beating: held
    QfCampaign.objects.filter(pk=run.pk).update(runner=None)  # taken over
    assert not first.beat() and first.lost.is_set()

    from family_portal.backoffice.refresh import run_campaign
    from qf_connector.identity import coerce_month

    summary = run_campaign(
        commune,
        coerce_month(last_month()),
        should_stop=first.lost.is_set,
    )
    assert summary.processed == 1 and QfRefreshOutcome.objects.count() == 1
