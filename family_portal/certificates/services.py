"""Issuing, replacing and revoking certificates, and printing them in batches.

A certificate is issued for an enrolment whose QF is final (status "Inscrit"). It is
never edited: when the enrolment's tariff snapshot changes (re-pricing, agent override),
the next request for its certificate issues a new one, with a new number, and marks the
old one replaced. `replace_outdated(enrolment)` does the same at once: the re-pricing
service may call it so that the old number stops verifying straight away — though the
verification page already compares each certificate with its enrolment's live tariff.

A certificate is laid out once: its PDF is stored with it (`certificate_pdf`), and
`tasks.prepare_on_commit` issues and lays it out in the background as soon as an
enrolment's tariff is final, so that the family's download is a file read.
"""

from __future__ import annotations

import logging
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation

from family_portal.models import Certificate, Enrolment, Guardian

from . import rendering
from .content import build_content, commune_settings, snapshot_digest, validity
from .numbering import allocate_numbers

TOKEN_BYTES = 16  # 128 bits: 22 URL-safe characters

logger = logging.getLogger(__name__)


class NotEligible(Exception):
    """This enrolment cannot have a certificate (yet); the message is French."""


class NothingToPrint(ValueError):
    """A batch whose filters match no confirmed enrolment."""


def eligibility_problem(enrolment: Enrolment) -> str | None:
    if enrolment.status == Enrolment.Status.CONFIRMED:
        return None
    if enrolment.status == Enrolment.Status.QF_PENDING:
        return "Le quotient familial est en cours de vérification : l'attestation sera disponible une fois le tarif définitif."
    if enrolment.status == Enrolment.Status.WAITING:
        return "L'enfant est sur liste d'attente : aucune attestation de tarif n'est délivrée."
    return "Cette inscription est annulée : aucune attestation de tarif n'est délivrée."


def enrolments_for_certificates() -> QuerySet:
    """Enrolments with everything a certificate prints, in few queries."""
    return Enrolment.objects.select_related(
        "family",
        "child",
        "period",
        "period__activity",
        "bareme_version",
        "quotient",
        "quotient__recorded_by",
        "quotient__document",
        "quotient__document__checked_by",
    ).prefetch_related(
        Prefetch("family__guardians", queryset=Guardian.objects.order_by("pk"))
    )


def is_up_to_date(certificate: Certificate, enrolment: Enrolment) -> bool:
    return (
        certificate.status == Certificate.Status.CURRENT
        and enrolment.status == Enrolment.Status.CONFIRMED
        and certificate.snapshot_digest == snapshot_digest(enrolment)
    )


def _new_certificate(enrolment, number, commune, replaces, user) -> Certificate:
    valid_from, valid_until = validity(enrolment, replaces is not None)
    with translation.override("fr"):
        content = build_content(enrolment, commune, valid_from, valid_until)
    return Certificate(
        number=number,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        enrolment=enrolment,
        snapshot_digest=snapshot_digest(enrolment),
        content=content,
        amount=enrolment.amount,
        unit=enrolment.unit,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_by=user,
    )


def _issue_locked(enrolments, commune, user) -> tuple[list[Certificate], int, int]:
    """Inside a transaction, with the enrolment rows locked: the current certificate of
    each enrolment, issuing (or replacing) where needed. Returns (certificates in the
    given order, issued, replaced)."""
    current = {
        certificate.enrolment_id: certificate
        for certificate in Certificate.objects.select_for_update().filter(
            enrolment__in=enrolments, status=Certificate.Status.CURRENT
        )
    }
    stale = []
    to_issue = []
    for enrolment in enrolments:
        existing = current.get(enrolment.pk)
        if existing is not None and is_up_to_date(existing, enrolment):
            continue
        if existing is not None:
            stale.append(existing)
        to_issue.append(enrolment)
    now = timezone.now()
    if stale:
        Certificate.objects.filter(pk__in=[item.pk for item in stale]).update(
            status=Certificate.Status.REPLACED, ended_at=now
        )
    numbers = allocate_numbers(timezone.localdate(now).year, len(to_issue))
    stale_by_enrolment = {item.enrolment_id: item for item in stale}
    new = [
        _new_certificate(
            enrolment, number, commune, stale_by_enrolment.get(enrolment.pk), user
        )
        for enrolment, number in zip(to_issue, numbers, strict=True)
    ]
    for certificate in new:
        certificate.issued_at = now
    Certificate.objects.bulk_create(new)
    if stale:
        saved = {
            item.enrolment_id: item
            for item in Certificate.objects.filter(
                number__in=[item.number for item in new]
            )
        }
        for old in stale:
            Certificate.objects.filter(pk=old.pk).update(
                replaced_by=saved[old.enrolment_id]
            )
        current.update(saved)
    else:
        current.update({item.enrolment_id: item for item in new})
    return [current[enrolment.pk] for enrolment in enrolments], len(new), len(stale)


def current_certificates(
    enrolments, *, user=None, commune=None
) -> tuple[list[Certificate], int, int]:
    """The certificate in force of each enrolment (all must be eligible), issued or
    replaced as needed in one transaction. Returns (certificates, issued, replaced)."""
    enrolments = list(enrolments)
    for enrolment in enrolments:
        problem = eligibility_problem(enrolment)
        if problem:
            raise NotEligible(problem)
    if not enrolments:
        return [], 0, 0
    commune = commune or commune_settings()
    with transaction.atomic():
        # Lock the rows, then price-check what was read: a concurrent re-pricing either
        # finished before (we see its snapshot) or waits for us (and replaces ours).
        locked_ids = list(
            Enrolment.objects.select_for_update()
            .filter(pk__in=[enrolment.pk for enrolment in enrolments])
            .values_list("pk", flat=True)
        )
        fresh = {
            enrolment.pk: enrolment
            for enrolment in enrolments_for_certificates().filter(pk__in=locked_ids)
        }
        ordered = [fresh[enrolment.pk] for enrolment in enrolments]
        for enrolment in ordered:
            problem = eligibility_problem(enrolment)
            if problem:
                raise NotEligible(problem)
        return _issue_locked(ordered, commune, user)


def current_certificate(
    enrolment: Enrolment, *, user=None, commune=None
) -> Certificate:
    """The enrolment's certificate in force, issued now if it has none or if its tariff
    changed since (the old one is then marked replaced). Raises NotEligible."""
    existing = enrolment.certificates.filter(status=Certificate.Status.CURRENT).first()
    if existing is not None and is_up_to_date(existing, enrolment):
        return existing
    return current_certificates([enrolment], user=user, commune=commune)[0][0]


def replace_outdated(enrolment: Enrolment, *, user=None) -> Certificate | None:
    """After a change of the enrolment: replace its certificate if the tariff changed,
    revoke it if the enrolment can no longer have one. For the re-pricing service."""
    existing = enrolment.certificates.filter(status=Certificate.Status.CURRENT).first()
    if existing is None:
        return None
    enrolment.refresh_from_db()
    if eligibility_problem(enrolment):
        revoke(
            existing, user=user, reason="Inscription modifiée : attestation sans objet."
        )
        return None
    return current_certificate(enrolment, user=user)


def revoke(certificate: Certificate, *, user=None, reason: str) -> None:
    """Withdraw a certificate: it no longer verifies; the enrolment may get a new one."""
    Certificate.objects.filter(
        pk=certificate.pk, status=Certificate.Status.CURRENT
    ).update(
        status=Certificate.Status.REVOKED,
        ended_at=timezone.now(),
        revoked_by=user,
        revocation_reason=reason,
    )
    certificate.refresh_from_db()


def audit_revocation(certificate: Certificate, user, reason: str) -> None:
    """An agent's revocation, in the agents' audit list (not the automatic ones)."""
    from family_portal.backoffice.audit import record_action
    from family_portal.models import AgentAction

    record_action(
        AgentAction.Kind.CERTIFICATE_REVOKED,
        user,
        family=certificate.enrolment.family,
        enrolment=certificate.enrolment,
        reason=reason,
        after={"certificate": certificate.number},
    )


def certificate_pdf(certificate: Certificate, *, commune=None) -> bytes:
    """The certificate's PDF as issued: laid out the first time, then read from its
    file (the certificate never changes, so neither does its PDF)."""
    return pdfs_of([certificate], commune=commune)[0]


def _stored_pdf(certificate: Certificate) -> bytes | None:
    """The PDF kept for the certificate, or None when it has none (yet) or lost it."""
    if not certificate.pdf:
        return None
    try:
        with certificate.pdf.open("rb") as stored:
            return stored.read()
    except FileNotFoundError:  # a restored backup without its files: lay out again
        logger.warning("Certificate %s: PDF file missing, laid out again", certificate)
        return None


def store_pdf(certificate: Certificate, data: bytes) -> None:
    """Keep the certificate's PDF, unless another process stored one meanwhile."""
    field = certificate.pdf
    name = field.storage.save(
        field.field.generate_filename(certificate, filename(certificate)),
        ContentFile(data),
    )
    stored = Certificate.objects.filter(pk=certificate.pk, pdf=field.name or "").update(
        pdf=name
    )
    if stored:
        field.name = name
    else:  # the other process won: keep its file, drop ours
        field.storage.delete(name)
        certificate.refresh_from_db(fields=["pdf"])


def pdfs_of(certificates, *, commune=None, progress=None) -> list[bytes]:
    """The PDF of each certificate, in order: stored ones read, the others laid out (in
    parallel worker processes when there are many) and stored."""
    certificates = list(certificates)
    found: dict[int, bytes] = {}
    missing = []
    for certificate in certificates:
        data = _stored_pdf(certificate)
        if data is None:
            missing.append(certificate)
        else:
            found[certificate.pk] = data
    done = len(found)
    if progress is not None:
        progress(done)
    if missing:
        laid_out = rendering.render_many(
            missing,
            commune_settings=commune or commune_settings(),
            progress=(lambda count: progress(done + count)) if progress else None,
        )
        for certificate, data in laid_out:
            store_pdf(certificate, data)
            found[certificate.pk] = data
    return [found[certificate.pk] for certificate in certificates]


def prepare(enrolment_ids, *, user=None) -> int:
    """Bring the enrolments' certificates up to date and lay out their PDFs: issue or
    replace where the tariff is final, revoke where the enrolment no longer has one.
    Returns the number of PDFs laid out."""
    enrolments = list(enrolments_for_certificates().filter(pk__in=enrolment_ids))
    for enrolment in enrolments:
        if eligibility_problem(enrolment):
            replace_outdated(enrolment, user=user)
    eligible = [item for item in enrolments if not eligibility_problem(item)]
    if not eligible:
        return 0
    commune = commune_settings()
    certificates, _, _ = current_certificates(eligible, user=user, commune=commune)
    waiting = [item for item in certificates if not item.pdf]
    pdfs_of(waiting, commune=commune)
    return len(waiting)


def filename(certificate: Certificate) -> str:
    return f"attestation-{certificate.number}.pdf"


# --- Batches --------------------------------------------------------------------------


def batch_enrolments(activity, period=None, school: str = "") -> QuerySet:
    """Enrolments of an activity with a final tariff, in printing order (period, school,
    class, child's name), optionally for one period and one school."""
    enrolments = enrolments_for_certificates().filter(
        period__activity=activity, status=Enrolment.Status.CONFIRMED
    )
    if period is not None:
        enrolments = enrolments.filter(period=period)
    if school.strip():
        enrolments = enrolments.filter(
            child__school__in=matching_schools(activity, school)
        )
    return enrolments.order_by(
        "period__start",
        "period__pk",
        "child__school",
        "child__school_level",
        "child__last_name",
        "child__first_name",
        "pk",
    )


def school_key(name: str) -> str:
    """A school's name as a search compares it: no accents, case or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.casefold().split())


def matching_schools(activity, search: str) -> list[str]:
    """The activity's schools whose name contains `search`, ignoring case and accents
    ("ecole jules" finds "École Jules Ferry").

    Compared in Python over the activity's few school names, so that SQLite (whose
    LIKE ignores the case of ASCII only) and PostgreSQL (without the unaccent
    extension) give the same answer."""
    wanted = school_key(search)
    return [name for name in schools_of(activity) if wanted in school_key(name)]


def schools_of(activity) -> list[str]:
    """The schools of the children enrolled in an activity, for a filter's choices."""
    schools = (
        Enrolment.objects.filter(
            period__activity=activity, status=Enrolment.Status.CONFIRMED
        )
        .exclude(child__school="")
        .values_list("child__school", flat=True)
        .order_by()
        .distinct()
    )
    return sorted(schools, key=str.casefold)


@dataclass
class BatchResult:
    pages: int
    issued: int
    replaced: int
    seconds: float


def print_batch(
    enrolments,
    target,
    *,
    user=None,
    title: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Issue what is missing and write every certificate of `enrolments` into one PDF.

    `progress(done, total)` is called as pages are laid out. Raises NothingToPrint
    when no enrolment is given.
    """
    started = time.perf_counter()
    enrolments = list(enrolments)
    if not enrolments:
        raise NothingToPrint("No confirmed enrolment matches: nothing to print.")
    commune = commune_settings()
    certificates, issued, replaced = current_certificates(
        enrolments, user=user, commune=commune
    )
    total = len(certificates)
    if progress is not None:
        progress(0, total)
    pdfs = pdfs_of(
        certificates,
        commune=commune,
        progress=(lambda done: progress(done, total)) if progress else None,
    )
    rendering.join_pdfs(
        pdfs,
        title=title or f"Attestations de tarif — {enrolments[0].period.activity.title}",
        target=target,
    )
    return BatchResult(total, issued, replaced, time.perf_counter() - started)
