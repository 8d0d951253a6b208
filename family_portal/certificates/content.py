"""What a certificate says, frozen at issue as JSON (see DOMAIN.md, "What a tariff
certificate says"), and the fingerprint of the tariff it attests.

Every value is stored as the French text printed, so that a certificate renders the same
in ten years, whatever happens to the barème, the family or the commune's settings.
"""

from __future__ import annotations

import datetime
import hashlib
import json

from django.utils import timezone
from django.utils.formats import date_format
from wagtail.models import Site

from activities.pricing.formatting import format_money, format_qf
from family_portal.models import Enrolment, QuotientRecord, snapshot_dict
from home.french import french_date

PROVIDER_LABELS = {"CNAF": "CAF", "MSA": "MSA", "tax": "avis d'imposition"}


def commune_settings():
    from home.models import CommuneSettings

    site = Site.objects.filter(is_default_site=True).first()
    return CommuneSettings.for_site(site) if site else CommuneSettings()


def snapshot_digest(enrolment: Enrolment) -> str:
    """A fingerprint of the enrolment's frozen tariff: a certificate whose fingerprint
    differs from its enrolment's no longer tells the truth and must be replaced."""
    values = snapshot_dict(enrolment)
    values.update(
        deliberation_date=str(enrolment.deliberation_date),
        explanation=list(enrolment.explanation or []),
        quotient_id=enrolment.quotient_id,
        period_id=enrolment.period_id,
        child_id=enrolment.child_id,
    )
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def first_of_next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def validity(
    enrolment: Enrolment, replaces_one: bool
) -> tuple[datetime.date, datetime.date]:
    """The dates the attested tariff applies between.

    From the start of the period (or the day of enrolment, if later) to its end, or to
    the end of the QF's validity if sooner. A replacement follows a change of situation,
    which applies from the following month, never retroactively (DOMAIN.md).
    """
    period = enrolment.period
    start = max(period.start, timezone.localdate(enrolment.created_at))
    if replaces_one:
        start = max(start, first_of_next_month(timezone.localdate(enrolment.priced_at)))
    end = period.end
    quotient = enrolment.quotient
    if quotient is not None and quotient.valid_until < end:
        end = max(quotient.valid_until, period.start)
    return min(start, end), end


def _person(user) -> str:
    if user is None:
        return "un agent du service"
    return user.get_full_name() or user.get_username()


def _day(value) -> str:
    return french_date(value) if value else ""


def describe_qf(enrolment: Enrolment) -> dict:
    """The QF used, its source and month, as printed: `{"value", "source", "details"}`."""
    if enrolment.qf_value is None:
        return {
            "value": "",
            "source": "Sans justificatif : tarif par défaut",
            "details": [
                "Aucun quotient familial n'a été fourni : le tarif prévu par la "
                "délibération pour les familles sans quotient s'applique."
            ],
        }
    provider = PROVIDER_LABELS.get(enrolment.qf_provider, enrolment.qf_provider)
    month = date_format(enrolment.qf_month, "F Y") if enrolment.qf_month else ""
    quotient = enrolment.quotient
    details = []
    if quotient is None or quotient.source == QuotientRecord.Source.API:
        source = f"{provider}, mois de référence : {month}"
        if quotient is not None:
            details.append(
                f"Transmis par la {provider} au moyen d'API Particulier, avec l'accord "
                f"de la famille, le {_day(timezone.localdate(quotient.retrieved_at))}."
            )
    else:
        document = quotient.document
        if quotient.provider == QuotientRecord.Provider.TAX:
            year = f" {quotient.tax_year}" if quotient.tax_year else ""
            source = f"avis d'imposition{year}"
        else:
            source = f"attestation {provider}, mois de référence : {month}"
        if quotient.source == QuotientRecord.Source.DOCUMENT:
            checker = document.checked_by if document else quotient.recorded_by
            checked_on = (
                document.checked_at if document and document.checked_at else None
            ) or quotient.created_at
            details.append(
                f"Justificatif vérifié par {_person(checker)} le "
                f"{_day(timezone.localdate(checked_on))}."
            )
        else:
            details.append(f"Quotient saisi par {_person(quotient.recorded_by)}.")
        if quotient.formula:
            details.append(f"Calcul : {quotient.formula}")
    return {
        "value": format_qf(_whole_if_round(enrolment.qf_value)),
        "source": source,
        "details": details,
    }


def _whole_if_round(value):
    """`1200.00` → `1200`: the CAF publishes whole euros; other decimals are kept."""
    return value.quantize(1) if value == value.to_integral_value() else value


def build_content(enrolment: Enrolment, commune, valid_from, valid_until) -> dict:
    """Everything the certificate prints, as French text."""
    family = enrolment.family
    child = enrolment.child
    period = enrolment.period
    activity = period.activity
    pricing = enrolment.bareme_version.pricing
    address = "\n".join(
        line
        for line in (family.street, f"{family.postcode} {family.city}".strip())
        if line
    )
    return {
        "commune": {
            "name": commune.name,
            "service": commune.service_name,
            "address": commune.address,
            "siret": commune.siret,
            "phone": commune.phone,
            "email": commune.email,
            "signatory_name": commune.signatory_name,
            "signatory_role": commune.signatory_role,
        },
        "family": {
            "name": family.name,
            "guardians": [str(guardian) for guardian in family.guardians.all()],
            "address": address,
        },
        "child": {
            "name": f"{child.first_name} {child.last_name}",
            "birth_date": _day(child.birth_date),
            "school": child.school,
        },
        "activity": activity.title,
        "period": {
            "label": period.label,
            "start": _day(period.start),
            "end": _day(period.end),
        },
        "price": format_money(enrolment.amount),
        "unit": enrolment.unit,
        "qf": describe_qf(enrolment),
        "tariff": {
            "bareme": pricing.label,
            "column": enrolment.column,
            "bracket": enrolment.bracket,
            "child_rank": enrolment.child_rank,
            "residence": enrolment.get_residence_display(),
            "explanation": list(enrolment.explanation or []),
        },
        "deliberation": {
            "reference": enrolment.deliberation_reference,
            "date": _day(enrolment.deliberation_date),
        },
        "valid_from": _day(valid_from),
        "valid_until": _day(valid_until),
    }
