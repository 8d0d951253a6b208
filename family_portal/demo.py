"""The demo family: the parent account's family, matching a staging case of the fake API."""

import datetime

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from home.demo import DEMO_ACCOUNTS
from qf_connector.fakeapi.cases import DEMO_ALLOCATAIRE

from .models import Child, Family, Guardian

DEMO_PARENT = next(account for account in DEMO_ACCOUNTS if account.username == "parent")


def load_demo_family(commune):
    """The parent's verified e-mail address, family, guardian and two children."""
    parent = get_user_model().objects.get(username=DEMO_PARENT.username)
    EmailAddress.objects.get_or_create(
        user=parent,
        email=parent.email,
        defaults={"verified": True, "primary": True},
    )
    family = Family.for_user(parent)
    if family is not None:
        return family
    family = Family.objects.create(
        name="Famille Giraud",
        street="12 rue des Écoles",
        postcode=commune.postcode_list[0],
        city=commune.name,
    )
    family.users.add(parent)
    Guardian.objects.create(
        family=family,
        birth_name=DEMO_ALLOCATAIRE["birth_name"].title(),
        first_name=DEMO_ALLOCATAIRE["first_names"][0].title(),
        sex=DEMO_ALLOCATAIRE["sex"],
        birth_date=datetime.date.fromisoformat(DEMO_ALLOCATAIRE["birth_date"]),
        birth_commune_code=DEMO_ALLOCATAIRE["birth_commune"],
        email=parent.email,
        is_allocataire=True,
    )
    Child.objects.create(
        family=family,
        first_name="Sarah",
        last_name="Giraud",
        birth_date=datetime.date(2012, 7, 12),
        school_level="college",
        school="Collège Jean-Moulin",
    )
    Child.objects.create(
        family=family,
        first_name="Léa",
        last_name="Giraud",
        birth_date=datetime.date(2018, 11, 25),
        school_level="CE2",
        school="École élémentaire des Tilleuls",
        # The family file the check-in list and the kitchen's headcount show.
        diet="sans_porc",
        health_notes="Asthme léger : ventoline dans le cartable, à donner en cas de toux.",
    )
    return family
