"""Background work (django-tasks): a batch of certificates printed as one PDF, and the
certificates of enrolments whose tariff just became final, laid out ahead of download.

The immediate backend runs it at once (demo, tests); in production the database backend
queues it for `manage.py db_worker`. Progress is written on the CertificateBatch row as
pages are laid out, so the agent's page can show it while the task runs.
"""

import logging
import tempfile

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from family_portal.models import CertificateBatch

from . import services

logger = logging.getLogger(__name__)


@task()
def prepare_certificates(enrolment_ids: list[int], user_id: int | None = None) -> int:
    """Issue (or replace) the enrolments' certificates and lay out their PDFs, so that
    the family's download is ready; returns the number of PDFs laid out."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return services.prepare(enrolment_ids, user=user)


def prepare_on_commit(enrolments, *, user=None) -> None:
    """Once the transaction commits, prepare these enrolments' certificates in the
    background."""
    ids = [enrolment.pk for enrolment in enrolments]
    if not ids:
        return

    def enqueue():
        try:
            prepare_certificates.enqueue(ids, user.pk if user is not None else None)
        except Exception:  # a download lays the certificate out anyway
            logger.exception("Could not queue the certificates of enrolments %s", ids)

    transaction.on_commit(enqueue)


def start_batch(batch: CertificateBatch) -> None:
    """Queue the batch once the transaction that created it is committed."""
    transaction.on_commit(lambda: build_batch.enqueue(str(batch.pk)))


@task()
def build_batch(batch_id: str) -> int:
    """Print the batch's certificates into its PDF file; returns the number of pages."""
    batch = CertificateBatch.objects.select_related("activity", "period").get(
        pk=batch_id
    )
    rows = CertificateBatch.objects.filter(pk=batch.pk)
    enrolments = list(
        services.batch_enrolments(batch.activity, batch.period, batch.school)
    )
    rows.update(status=CertificateBatch.Status.RUNNING, total=len(enrolments), done=0)

    def progress(done, total):
        rows.update(done=done, total=total)

    try:
        with tempfile.TemporaryFile() as output:
            result = services.print_batch(
                enrolments,
                output,
                user=batch.requested_by,
                progress=progress,
            )
            output.seek(0)
            batch.file.save(f"attestations-{batch.pk}.pdf", File(output), save=False)
    except Exception as error:  # noqa: BLE001 - recorded for the agent, then logged
        if isinstance(error, services.NothingToPrint):
            logger.info("Certificate batch %s: nothing to print", batch.pk)
        else:
            logger.exception("Certificate batch %s failed", batch.pk)
        if isinstance(error, services.NothingToPrint):
            message = "Aucune inscription confirmée ne correspond : rien à imprimer."
        elif isinstance(error, services.NotEligible):
            message = str(error)
        else:
            message = "Erreur inattendue pendant la préparation du lot."
        rows.update(
            status=CertificateBatch.Status.FAILED,
            error=message,
            finished_at=timezone.now(),
        )
        return 0
    rows.update(
        status=CertificateBatch.Status.DONE,
        file=batch.file.name,
        done=result.pages,
        total=result.pages,
        finished_at=timezone.now(),
    )
    return result.pages
