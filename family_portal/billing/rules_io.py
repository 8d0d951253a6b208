"""Importing and exporting billing rules documents (``facturation/1``) from the command
line, the barème's way: an import of a known id is the next version of its rules (or
updates the latest while it has billed nothing, as an edit in the admin does)."""

from __future__ import annotations

from django.db import transaction

from activities.billing_rules import parse_rules
from activities.models import ActivityPage

from .models import Regie, RulesVersion, ServiceRules


class RulesNotFound(LookupError):
    """What the command names is not in the database; the message is English."""


@transaction.atomic
def import_rules(
    document: dict, *, activity: str | None = None, regie: str | None = None
) -> tuple[RulesVersion, bool]:
    """Store a valid document (``InvalidRules`` otherwise, nothing stored); returns
    its version and whether the rules are new. New rules need the service's page
    slug and the régie's code; for known rules they may move them."""
    slug = parse_rules(document).id
    rules = ServiceRules.objects.select_for_update().filter(slug=slug).first()
    created = rules is None
    if created:
        if not activity or not regie:
            raise RulesNotFound(
                f"No billing rules with id {slug!r} yet: give --activity and --regie "
                "to create them."
            )
        rules = ServiceRules()
    if activity:
        page = ActivityPage.objects.filter(slug=activity).first()
        if page is None:
            raise RulesNotFound(f"No service (activity page) with slug {activity!r}.")
        other = ServiceRules.objects.filter(activity=page).exclude(slug=slug).first()
        if other is not None:
            raise RulesNotFound(
                f"The service {activity!r} already has billing rules {other.slug!r}."
            )
        rules.activity = page
    if regie:
        found = Regie.objects.filter(code=regie).first()
        if found is None:
            raise RulesNotFound(f"No régie with code {regie!r}.")
        rules.regie = found
    rules.apply_document(document)
    rules.save()
    version, _ = rules.record_version()
    return version, created


def export_rules(slug: str, number: int | None = None) -> dict:
    """The document of the rules' latest version (or of version ``number``)."""
    versions = RulesVersion.objects.filter(rules__slug=slug)
    version = (
        versions.filter(number=number).first()
        if number is not None
        else versions.order_by("-number").first()
    )
    if version is None:
        which = f"version {number} of " if number is not None else ""
        raise RulesNotFound(f"No {which}billing rules with id {slug!r}.")
    return version.document
