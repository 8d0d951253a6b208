"""The yearly QF campaign started by an agent from the back-office: a QfCampaign row,
run by a django-tasks background task (like the certificate batches: the immediate
backend runs it at once, the database backend queues it for `manage.py db_worker`),
which writes its progress and its report on the row for the agent's page."""

from __future__ import annotations

import datetime
import logging
import threading
import uuid

from django.db import IntegrityError, connections, transaction
from django.db.models import Q
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
# The run's heartbeat, well inside the lease (QF_CAMPAIGN_LEASE_SECONDS, 60 s).
HEARTBEAT_EVERY = 10.0  # seconds


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
        running = QfCampaign.objects.filter(
            month=month_date, status__in=QfCampaign.ACTIVE
        ).first()
        if running is not None and running.interrupted:
            raise CampaignRefused(
                f"La campagne du QF de {month_date:%m/%Y} a été interrompue : "
                "reprenez-la depuis sa page, les familles déjà faites ne seront pas "
                "interrogées deux fois."
            ) from None
        raise CampaignRefused(
            f"Une campagne du QF de {month_date:%m/%Y} est déjà en cours : suivez-la "
            "plutôt que d'en lancer une seconde."
        ) from None
    transaction.on_commit(lambda: run_qf_campaign.enqueue(str(campaign.pk)))
    return campaign


def resume(campaign: QfCampaign, *, user) -> QfCampaign:
    """Queue an interrupted campaign again: the run takes the lease over and skips
    the families already done for its month."""
    stale = timezone.now() - QfCampaign.lease()
    with transaction.atomic():
        # Conditional: two agents resuming at once, or a run that beat meanwhile,
        # resume nothing twice.
        resumed = QfCampaign.objects.filter(
            Q(heartbeat_at__lt=stale)
            | Q(heartbeat_at__isnull=True, created_at__lt=stale),
            pk=campaign.pk,
            status=QfCampaign.Status.RUNNING,
        ).update(
            status=QfCampaign.Status.PENDING,
            runner=None,
            heartbeat_at=timezone.now(),
            error="",
        )
        if not resumed:
            raise CampaignRefused(
                "Cette campagne n'est pas interrompue : elle est en cours ou terminée."
            )
        record_action(
            AgentAction.Kind.QF_CAMPAIGN_RESUMED,
            user,
            after={"month": campaign.month.isoformat(), "campaign": str(campaign.pk)},
        )
    transaction.on_commit(lambda: run_qf_campaign.enqueue(str(campaign.pk)))
    campaign.refresh_from_db()
    return campaign


def _commune() -> CommuneSettings:
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    return CommuneSettings.for_site(site)


class Lease:
    """This run's hold on the campaign row: taken at start, renewed by a heartbeat
    thread every HEARTBEAT_EVERY seconds. Every write goes through `rows`, which
    matches only while the lease is ours: a run whose lease was taken over (resumed
    by an agent after it stopped beating) writes nothing more and stops."""

    def __init__(self, campaign: QfCampaign) -> None:
        self.token = uuid.uuid4()
        self.rows = QfCampaign.objects.filter(pk=campaign.pk, runner=self.token)
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self._pk = campaign.pk

    def take(self) -> bool:
        """Hold a campaign queued or left by a dead run; False if another run holds
        it or it is finished."""
        stale = timezone.now() - QfCampaign.lease()
        return bool(
            QfCampaign.objects.filter(
                Q(status=QfCampaign.Status.PENDING)
                | Q(heartbeat_at__lt=stale)
                | Q(heartbeat_at__isnull=True),
                pk=self._pk,
                status__in=QfCampaign.ACTIVE,
            ).update(
                status=QfCampaign.Status.RUNNING,
                runner=self.token,
                heartbeat_at=timezone.now(),
            )
        )

    def beat(self) -> bool:
        if self.rows.update(heartbeat_at=timezone.now()):
            return True
        self.lost.set()
        return False

    def _beating(self) -> None:
        try:
            while not self._stop.wait(HEARTBEAT_EVERY):
                try:
                    if not self.beat():
                        logger.warning("QF campaign %s: lease lost", self._pk)
                        return
                except Exception:  # noqa: BLE001 - the next beat tries again
                    logger.exception("QF campaign %s: heartbeat failed", self._pk)
        finally:
            connections.close_all()  # this thread's connection

    def __enter__(self):
        self._thread = threading.Thread(
            target=self._beating, name=f"qf-campaign-lease-{self._pk}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@task()
def run_qf_campaign(campaign_id: str) -> int:
    """Run the campaign; returns the number of families processed."""
    campaign = QfCampaign.objects.get(pk=campaign_id)
    lease = Lease(campaign)
    if not lease.take():
        logger.warning("QF campaign %s: held by another run or finished", campaign.pk)
        return 0
    rows = lease.rows
    last_write = 0.0

    def progress(done, total, summary):
        nonlocal last_write
        now = timezone.now().timestamp()
        if done == total or now - last_write >= PROGRESS_EVERY:
            last_write = now
            rows.update(
                done=summary.already_done + done,
                total=summary.already_done + total,
                heartbeat_at=timezone.now(),
            )

    month = QfMonth(campaign.month.year, campaign.month.month)
    try:
        with lease:
            summary = run_campaign(
                _commune(), month, progress=progress, should_stop=lease.lost.is_set
            )
    except Exception:  # noqa: BLE001 - recorded for the agent, then logged
        logger.exception("QF campaign %s failed", campaign.pk)
        rows.update(
            status=QfCampaign.Status.FAILED,
            error="Erreur inattendue pendant la campagne : ce qui est fait est "
            "enregistré, relancez-la pour reprendre.",
            finished_at=timezone.now(),
            runner=None,
        )
        return 0
    if lease.lost.is_set():
        return summary.processed  # the run that took the lease over reports
    rows.update(
        status=QfCampaign.Status.FAILED if summary.stopped else QfCampaign.Status.DONE,
        error=summary.stopped,
        done=summary.already_done + summary.processed,
        total=summary.already_done + summary.to_do,
        report=summary.as_report(),
        finished_at=timezone.now(),
        runner=None,
    )
    return summary.processed
