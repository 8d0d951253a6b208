"""The demo parent has signed a direct-debit mandate (a made-up account). Idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from family_portal.demo import DEMO_PARENT
from family_portal.models import Family

from . import mandates

# A made-up account whose IBAN is valid (bank code 30006, Crédit Agricole).
DEMO_IBAN = "FR7630006000011234567890189"


def load_direct_debit_demo():
    """Returns the demo family's active mandate (None without the demo family, or when
    the commune has no creditor identifier)."""
    family = Family.objects.filter(users__username=DEMO_PARENT.username).first()
    if family is None or not mandates.offered():
        return None
    current = mandates.active_mandate(family)
    if current is not None:
        return current
    user = get_user_model().objects.get(username=DEMO_PARENT.username)
    guardian = family.guardians.order_by("pk").first()
    holder = (
        f"{guardian.first_name} {guardian.usage_name or guardian.birth_name}"
        if guardian
        else family.name
    )
    return mandates.sign(
        family,
        user=user,
        holder_name=holder,
        street=family.street or "1 place de la Mairie",
        postcode=family.postcode or "00000",
        city=family.city or "Ville de Démo",
        iban=DEMO_IBAN,
    )
