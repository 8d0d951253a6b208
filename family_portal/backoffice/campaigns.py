"""The yearly QF campaign started by an agent from the back-office: a QfCampaign row,
run by a django-tasks background task (like the certificate batches: the immediate
backend runs it at once, the database backend queues it for `manage.py db_worker`),
which writes its progress and its report on the row for the agent's page."""

from __future__ import annotations

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task
from wagtail.models import Site

from home.models import CommuneSettings
from qf_connector.identity import QfMonth

from ..models import AgentAction, QfCampaign
from .audit import record_action
from .refresh import run_campaign

logger = logging.getLogger(__name__)

# Progress is written at most this often: every family would be a write each.
PROGRESS_EVERY = 1.0  # seconds


class CampaignRefused(Exception):
    """The campaign cannot start; the message is French, for the agent."""


def default_month(today: datetime.date | None = None) -> datetime.date:
    """Last month's QF: the latest the CAF and the MSA have computed."""
    today = today or timezone.localdate()
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def start(month: QfMonth, *, user) -> QfCampaign:
    """Create the campaign and queue its task after commit; one at a time per month."""
    month_date = datetime.date(month.year, month.month, 1)
    try:
        with transaction.atomic():
            campaign = QfCampaign.objects.create(month=month_date, requested_by=user)
            record_action(
                AgentAction.Kind.QF_CAMPAIGN_STARTED,
                user,
                after={"month": month_date.isoformat(), "campaign": str(campaign.pk)},
            )
    except IntegrityError:
        raise CampaignRefused(
            f"Une campagne du QF de {month_date:%m/%Y} est déjà en cours : suivez-la "
            "plutôt que d'en lancer une seconde."
        ) from None
    transaction.on_commit(lambda: run_qf_campaign.enqueue(str(campaign.pk)))
    return campaign


def _commune() -> CommuneSettings:
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    return CommuneSettings.for_site(site)


@task()
def run_qf_campaign(campaign_id: str) -> int:
    """Run the campaign; returns the number of families processed."""
    campaign = QfCampaign.objects.get(pk=campaign_id)
    rows = QfCampaign.objects.filter(pk=campaign.pk)
    rows.update(status=QfCampaign.Status.RUNNING)
    last_write = 0.0

    def progress(done, total, summary):
        nonlocal last_write
        now = timezone.now().timestamp()
        if done == total or now - last_write >= PROGRESS_EVERY:
            last_write = now
            rows.update(done=done, total=total)

    month = QfMonth(campaign.month.year, campaign.month.month)
    try:
        summary = run_campaign(_commune(), month, progress=progress)
    except Exception:  # noqa: BLE001 - recorded for the agent, then logged
        logger.exception("QF campaign %s failed", campaign.pk)
        rows.update(
            status=QfCampaign.Status.FAILED,
            error="Erreur inattendue pendant la campagne : ce qui est fait est "
            "enregistré, relancez-la pour reprendre.",
            finished_at=timezone.now(),
        )
        return 0
    rows.update(
        status=QfCampaign.Status.FAILED if summary.stopped else QfCampaign.Status.DONE,
        error=summary.stopped,
        done=summary.processed,
        total=summary.to_do,
        report=summary.as_report(),
        finished_at=timezone.now(),
    )
    return summary.processed
