"""A guardian's civil status certified by FranceConnect is not edited by hand."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from family_portal.forms import GuardianForm
from family_portal.franceconnect.identity import PivotIdentity, certify
from family_portal.franceconnect.mock.identities import LEROUX
from tests.family_portal.factories import GuardianFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def certified():
    guardian = GuardianFactory(email="camille@example.org")
    return certify(guardian, PivotIdentity.from_claims(LEROUX))


def test_certification_writes_the_pivot_identity(certified):
    assert certified.is_certified and certified.franceconnect_sub == LEROUX["sub"]
    assert (
        certified.birth_name,
        certified.first_name,
        certified.second_first_name,
    ) == (
        "LEROUX",
        "Camille",
        "Marie",
    )
    assert certified.birth_date == datetime.date(1992, 5, 5)
    assert certified.birth_commune_code == "45234" and not certified.born_abroad


def test_the_parents_form_shows_it_read_only_and_ignores_what_is_posted(certified):
    form = GuardianForm(
        {
            "birth_name": "Autre",
            "first_name": "Autre",
            "sex": "M",
            "birth_date": "2001-01-01",
            "email": "nouvelle@example.org",
            "phone": "0102030405",
            "is_allocataire": "on",
        },
        instance=certified,
    )
    assert form.fields["birth_name"].disabled
    assert form.is_valid(), form.errors
    saved = form.save()
    assert saved.birth_name == "LEROUX" and saved.sex == "F"
    assert saved.email == "nouvelle@example.org"  # the rest stays the parent's


def test_any_other_edit_is_refused(certified):
    certified.birth_name = "DURAND"
    with pytest.raises(ValidationError) as error:
        certified.full_clean()
    assert "birth_name" in error.value.message_dict


def test_an_uncertified_guardian_stays_editable():
    guardian = GuardianFactory()
    form = GuardianForm(instance=guardian)
    assert not form.fields["birth_name"].disabled
    guardian.birth_name = "Durand"
    guardian.full_clean()
