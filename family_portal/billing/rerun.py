"""Running a month again for some families only, once an agent fixed what stopped them.

A family the run could not bill is "À corriger" (a service billed by time slots
without the times it needs, for one): nothing was issued for it. Once the agent has
fixed the cause (the times entered in attendance, say), ``rerun`` puts those families,
and only them, in a new batch of the same run: a dry run shows their month again, a
real run issues their invoices, numbered after the others (no gap, nothing issued
twice: a family already invoiced is never in it), dated the day of the re-run. In a dry
run the agent may also re-run the families with points to check, after fixing them.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from .models import BillingRun, RunBatch, RunFamily
from .runs import RunRefused

ERRORS = "errors"
ANOMALIES = "anomalies"


def families_to_rerun(run: BillingRun, which: str = ERRORS):
    results = RunFamily.objects.filter(run=run)
    if which == ANOMALIES and run.dry_run:
        return results.exclude(anomalies=[])
    return results.filter(outcome=RunFamily.Outcome.ERROR)


def rerun(
    run: BillingRun, which: str = ERRORS, *, today: datetime.date | None = None
) -> RunBatch:
    """A new batch of ``run`` with its families to correct (or, for a dry run, with
    points to check); ``tasks.resume`` then queues it. Raises ``RunRefused``."""
    today = today or timezone.localdate()
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        if not run.finished:
            raise RunRefused(
                "Le traitement du mois n'est pas terminé : attendez la fin pour "
                "relancer des familles."
            )
        results = families_to_rerun(run, which)
        if not run.dry_run:
            results = results.filter(invoice__isnull=True)
        family_ids = sorted(results.values_list("family_id", flat=True))
        if not family_ids:
            raise RunRefused("Aucune famille à recalculer dans ce traitement.")
        results.delete()
        index = (run.batches.aggregate(last=Max("index"))["last"] or 0) + 1
        batch = RunBatch.objects.create(
            run=run,
            index=index,
            family_ids=family_ids,
            issue_date=None if run.dry_run else today,
            due_date=None
            if run.dry_run
            else today + datetime.timedelta(days=run.regie.payment_days),
        )
        BillingRun.objects.filter(pk=run.pk).update(
            done=F("done") - len(family_ids),
            status=BillingRun.Status.RUNNING,
            error="",
            finished_at=None,
        )
    return batch
