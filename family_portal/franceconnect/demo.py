"""The demo's FranceConnect parent: Pierre Mercier of the local FranceConnect, whose
account is already linked, with a family of two children; the fake API Particulier
knows him on its FranceConnect route (QF 2550, CNAF). He signs in with FranceConnect
only (no password), and his QF comes without typing anything."""

from __future__ import annotations

import datetime

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from family_portal.models import Child, Family, Guardian

from .identity import PivotIdentity, certify
from .mock.identities import MERCIER
from .provider import PROVIDER_ID

DEMO_USERNAME = "parent-franceconnect"


def load_franceconnect_demo(commune) -> Family:
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_USERNAME,
        defaults={
            "email": MERCIER["email"],
            "first_name": "Pierre",
            "last_name": "Mercier",
        },
    )
    if created:
        user.set_unusable_password()
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    SocialAccount.objects.get_or_create(
        provider=PROVIDER_ID, uid=MERCIER["sub"], defaults={"user": user}
    )
    family = Family.for_user(user)
    if family is not None:
        return family
    family = Family.objects.create(
        name="Famille Mercier",
        street="4 place de la Mairie",
        postcode=commune.postcode_list[0],
        city=commune.name,
    )
    family.users.add(user)
    certify(
        Guardian(family=family, email=user.email), PivotIdentity.from_claims(MERCIER)
    )
    # Two of the three children the CAF knows for him (staging case
    # france_connect_200_cnaf_1_parent_3_mineurs).
    Child.objects.create(
        family=family,
        first_name="Pierre",
        last_name="Mercier",
        birth_date=datetime.date(2018, 1, 10),
        school_level="CE2",
        school="École élémentaire des Tilleuls",
    )
    Child.objects.create(
        family=family,
        first_name="Robert",
        last_name="Mercier",
        birth_date=datetime.date(2020, 3, 15),
        school_level="GS",
        school="École maternelle des Tilleuls",
    )
    return family
