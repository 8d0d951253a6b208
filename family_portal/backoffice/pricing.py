"""Agents' changes to prices: an override with a reason, and the re-pricing of one
enrolment or of a whole period with a corrected barème version, previewed first."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from activities.models import BaremeVersion
from activities.pricing import PricingError, quote
from activities.pricing.formatting import format_money

from .. import enrolment as enrolments
from ..models import AgentAction, Enrolment, EnrolmentPriceChange
from .audit import record_action


class PriceChangeRefused(Exception):
    """The change cannot be made; the message is French, for the agent."""


def override_price(
    enrolment: Enrolment, *, amount: Decimal, reason: str, user
) -> EnrolmentPriceChange:
    """Set the price by hand. The reason is required and kept with before/after."""
    reason = (reason or "").strip()
    if not reason:
        raise PriceChangeRefused("Indiquez le motif de la correction.")
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.status == Enrolment.Status.CANCELLED:
            raise PriceChangeRefused("Cette inscription est annulée.")
        if enrolment.amount == amount:
            raise PriceChangeRefused(
                f"Le tarif est déjà de {format_money(enrolment.amount)}."
            )
        before = enrolments.snapshot_dict(enrolment)
        enrolment.amount = amount
        enrolment.price_overridden = True
        enrolment.explanation = [
            *enrolment.explanation,
            f"Tarif fixé à {format_money(amount)} par le service famille : {reason}",
        ]
        enrolment.save()
        change = EnrolmentPriceChange.objects.create(
            enrolment=enrolment,
            kind=EnrolmentPriceChange.Kind.OVERRIDE,
            reason=reason,
            changed_by=user,
            before=before,
            after=enrolments.snapshot_dict(enrolment),
        )
        _audit_price_change(AgentAction.Kind.PRICE_OVERRIDDEN, change, user)
        return change


def _audit_price_change(kind: str, change: EnrolmentPriceChange, user) -> None:
    """The agents' audit list shows price changes too (the amounts before and after;
    the whole snapshot stays in the enrolment's price history)."""
    record_action(
        kind,
        user,
        family=change.enrolment.family,
        enrolment=change.enrolment,
        reason=change.reason,
        before={"amount": change.before.get("amount")},
        after={"amount": change.after.get("amount")},
    )


def qf_choice_of(enrolment: Enrolment) -> enrolments.QfChoice:
    """The QF the enrolment was priced with, to price it again."""
    return enrolments.QfChoice(enrolment.qf_source, enrolment.quotient)


@dataclass
class RepriceLine:
    """One enrolment in a re-pricing preview."""

    enrolment: Enrolment
    amount: Decimal | None = None
    bracket: str = ""
    skipped: str = ""  # why it is left alone (French)

    @property
    def changed(self) -> bool:
        return not self.skipped and (
            self.amount != self.enrolment.amount
            or self.bracket != self.enrolment.bracket
        )

    @property
    def difference(self) -> Decimal | None:
        if self.amount is None:
            return None
        return self.amount - self.enrolment.amount


def preview_line(enrolment: Enrolment, commune, version: BaremeVersion) -> RepriceLine:
    """What `enrolment.reprice` would set, without writing anything."""
    line = RepriceLine(enrolment)
    if enrolment.price_overridden:
        line.skipped = "Tarif corrigé à la main : inchangé."
        return line
    if enrolment.qf_value is not None and enrolment.quotient_id is None:
        line.skipped = "Le quotient utilisé a été supprimé : recalcul impossible."
        return line
    qf = qf_choice_of(enrolment)
    situation = enrolments.situation_for(
        enrolment.family, commune, qf, enrolment.child_rank
    )
    try:
        result = quote(version.pricing, situation)
    except PricingError as error:
        line.skipped = str(error)
        return line
    line.amount = result.amount
    line.bracket = result.bracket or ""
    return line


def preview(enrolments_to_price, commune, version: BaremeVersion) -> list[RepriceLine]:
    return [preview_line(item, commune, version) for item in enrolments_to_price]


def fingerprint(lines: list[RepriceLine]) -> str:
    """Identifies a preview: applying refuses a preview that no longer holds."""
    text = ";".join(
        f"{line.enrolment.pk}:{line.enrolment.amount}:{line.amount}:{line.bracket}"
        for line in lines
        if line.changed
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def apply(
    lines: list[RepriceLine],
    commune,
    version: BaremeVersion,
    *,
    reason: str,
    user,
    audit_each: bool = False,
) -> list[EnrolmentPriceChange]:
    """Re-price the changed lines of a preview with `version`, one price-history row
    each; with `audit_each`, one agent action each too (a whole period gets one)."""
    changes = []
    with transaction.atomic():
        for line in lines:
            if not line.changed:
                continue
            change = enrolments.reprice(
                line.enrolment,
                commune,
                qf_choice_of(line.enrolment),
                kind=EnrolmentPriceChange.Kind.BAREME_CORRECTION,
                reason=reason,
                user=user,
                version=version,
            )
            if change is not None:
                changes.append(change)
                if audit_each:
                    _audit_price_change(
                        AgentAction.Kind.ENROLMENT_REPRICED, change, user
                    )
    return changes


def period_enrolments(period):
    return (
        period.enrolments.active()
        .select_related("family", "child", "quotient", "bareme_version__bareme")
        .order_by("child__last_name", "child__first_name", "pk")
    )


def period_versions(period):
    """The barème versions an agent may re-price a period with: those of the
    activity's barèmes and those its enrolments use, latest first."""
    return (
        BaremeVersion.objects.filter(
            Q(bareme__activity_links__page=period.activity_id)
            | Q(enrolments__period=period)
        )
        .distinct()
        .select_related("bareme")
        .order_by("bareme__slug", "-number")
    )


def apply_to_period(
    period, commune, version: BaremeVersion, *, reason: str, user, expected: str
) -> list[EnrolmentPriceChange] | None:
    """Re-price the period if its preview still is `expected`; None when it changed."""
    lines = preview(period_enrolments(period), commune, version)
    if fingerprint(lines) != expected:
        return None
    changes = apply(lines, commune, version, reason=reason, user=user)
    record_action(
        AgentAction.Kind.PERIOD_REPRICED,
        user,
        reason=reason,
        before={"period": period.pk, "enrolments": len(lines)},
        after={
            "version": str(version),
            "version_id": version.pk,
            "changed": len(changes),
        },
    )
    return changes
