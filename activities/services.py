"""Importing and exporting barème documents, and pricing with a version that then stays."""

from __future__ import annotations

from django.db import transaction

from .models import Bareme, BaremeVersion
from .pricing import Quote, Situation, load_bareme


@transaction.atomic
def import_document(document: dict) -> tuple[BaremeVersion, bool]:
    """Store a ``bareme/1`` document; a new version when its id already exists.

    Returns the version and whether the barème is new. Raises ``InvalidBareme``
    (nothing stored) when the document has problems.
    """
    bareme_id = load_bareme(document).id
    bareme = Bareme.objects.select_for_update().filter(slug=bareme_id).first()
    created = bareme is None
    if created:
        bareme = Bareme()
    bareme.apply_document(document)
    bareme.save()
    version, _ = bareme.record_version(new=not created)
    return version, created


def export_document(slug: str, number: int | None = None) -> dict:
    """The document of a barème's latest version (or of version ``number``).

    Raises ``BaremeVersion.DoesNotExist`` for an unknown id or version.
    """
    versions = BaremeVersion.objects.filter(bareme__slug=slug)
    if number is not None:
        return versions.get(number=number).document
    version = versions.order_by("-number").first()
    if version is None:
        raise BaremeVersion.DoesNotExist(f"No version of barème {slug!r}.")
    return version.document


@transaction.atomic
def quote_and_lock(bareme: Bareme, situation: Situation) -> tuple[BaremeVersion, Quote]:
    """Price with the latest version and lock it, for an enrolment that keeps it.

    Call it inside the enrolment's own transaction: the version row stays locked until
    the enrolment is saved, so an agent's edit meanwhile makes a new version instead.
    Raises ``PricingError`` when the barème cannot price the situation.
    """
    version = (
        BaremeVersion.objects.select_for_update()
        .filter(bareme=bareme)
        .order_by("-number")
        .first()
    )
    if version is None:
        raise BaremeVersion.DoesNotExist(f"Barème {bareme.slug!r} has no version.")
    result = version.quote(situation)
    version.mark_used()
    return version, result
