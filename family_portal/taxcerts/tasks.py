"""Background work (django-tasks): a year's certificates issued in batches of families,
one task each (several ``db_worker`` processes share them), and a year's certificates
joined into one PDF for the agents to print. The immediate backend runs them at once
(demo, tests); the database backend queues them for ``manage.py db_worker``."""

from __future__ import annotations

import logging
import tempfile

from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from . import amounts, services
from .models import TaxCertificateJob

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


def start_issue(year: int, *, user=None) -> TaxCertificateJob:
    """Issue (or bring up to date) the certificates of ``year`` for every family
    concerned: one task per batch of families, queued once committed."""
    families = amounts.families_concerned(year)
    job = TaxCertificateJob.objects.create(
        kind=TaxCertificateJob.Kind.ISSUE,
        year=year,
        requested_by=user,
        total=len(families),
    )
    if not families:
        TaxCertificateJob.objects.filter(pk=job.pk).update(
            status=TaxCertificateJob.Status.DONE, finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    batches = [
        families[start : start + BATCH_SIZE]
        for start in range(0, len(families), BATCH_SIZE)
    ]

    def enqueue():
        for batch in batches:
            issue_batch.enqueue(job.pk, batch)

    transaction.on_commit(enqueue)
    return job


@task()
def issue_batch(job_id: int, family_ids: list[int]) -> int:
    """One batch of families: their certificates issued and laid out; returns how
    many were issued. Running it again issues nothing twice."""
    rows = TaxCertificateJob.objects.filter(pk=job_id)
    rows.filter(status=TaxCertificateJob.Status.PENDING).update(
        status=TaxCertificateJob.Status.RUNNING
    )
    job = rows.get()
    try:
        issued = services.issue(job.year, family_ids)
    except Exception:
        logger.exception("Tax certificates of %s: a batch failed", job.year)
        rows.update(
            status=TaxCertificateJob.Status.FAILED,
            error=(
                "Un lot de familles n'a pas pu être traité. Relancez l'émission : "
                "les attestations déjà émises ne le sont pas deux fois."
            ),
        )
        raise
    with transaction.atomic():
        rows.update(done=F("done") + len(family_ids), issued=F("issued") + len(issued))
        locked = rows.select_for_update().get()
        if locked.done >= locked.total and locked.status != locked.Status.FAILED:
            rows.update(
                status=TaxCertificateJob.Status.DONE, finished_at=timezone.now()
            )
    return len(issued)


def start_print(year: int, *, user=None) -> TaxCertificateJob:
    job = TaxCertificateJob.objects.create(
        kind=TaxCertificateJob.Kind.PRINT, year=year, requested_by=user
    )
    transaction.on_commit(lambda: build_print.enqueue(job.pk))
    return job


@task()
def build_print(job_id: int) -> int:
    """The year's certificates in force, in one PDF to print; returns how many."""
    job = TaxCertificateJob.objects.get(pk=job_id)
    rows = TaxCertificateJob.objects.filter(pk=job_id)
    rows.update(status=TaxCertificateJob.Status.RUNNING)
    try:
        with tempfile.TemporaryFile() as output:
            count = services.year_pdf(job.year, output)
            if count:
                output.seek(0)
                job.file.save(
                    f"attestations-fiscales-{job.year}-{job.pk}.pdf",
                    File(output),
                    save=False,
                )
    except Exception:
        logger.exception("Tax certificates of %s: printing failed", job.year)
        rows.update(
            status=TaxCertificateJob.Status.FAILED,
            error="Erreur inattendue pendant la préparation du fichier à imprimer.",
            finished_at=timezone.now(),
        )
        raise
    rows.update(
        status=TaxCertificateJob.Status.DONE
        if count
        else TaxCertificateJob.Status.FAILED,
        error="" if count else f"Aucune attestation fiscale {job.year} à imprimer.",
        file=job.file.name or "",
        total=count,
        done=count,
        finished_at=timezone.now(),
    )
    return count
