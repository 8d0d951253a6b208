"""Factories for families, guardians and children."""

import datetime

import factory

from family_portal.models import Child, Family, Guardian
from tests.dates import born
from tests.factories import UserFactory


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Famille {n}")
    street = "12 rue des Écoles"
    postcode = "45999"
    city = "Ville de Test"

    @factory.post_generation
    def users(self, create, extracted, **kwargs):
        if create:
            self.users.add(*(extracted or [UserFactory()]))


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    family = factory.SubFactory(FamilyFactory)
    birth_name = "Giraud"
    first_name = "Anne"
    sex = "F"
    birth_date = datetime.date(1988, 12, 1)
    birth_commune_code = "13002"


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Sequence(lambda n: f"Enfant{n}")
    last_name = "Giraud"
    birth_date = factory.LazyFunction(lambda: born(11, 25, age=7))
    school_level = "CE2"
