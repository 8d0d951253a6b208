"""Agents are warned of a person who is the guardian of another family, and of an
identity a lookup limit refused (issue 15, point 2): in the QF queue, the families'
list and the family's page."""

import pytest
from django.urls import reverse

from family_portal.models import Enrolment, Guardian
from family_portal.quotients import identity_of
from qf_connector import limits
from qf_connector.models import LookupRefusal

from .backoffice_support import (  # noqa: F401 - fixtures
    agent_client_fixture,
    agent_fixture,
    commune_fixture,
    enrol,
    groups_fixture,
    period_of,
    text,
)
from .factories import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db

SHARED = "Identité déjà responsable légal d'une autre famille"
REFUSED = "Demande à la CAF ou à la MSA refusée par une limite"


@pytest.fixture
def second_family(giraud_family):
    """Another account's family whose guardian is Anne Giraud again, typed otherwise."""
    family = FamilyFactory(name="Famille Double")
    anne = giraud_family.guardians.get()
    GuardianFactory(
        family=family,
        birth_name=anne.birth_name.upper(),
        first_name=anne.first_name.lower(),
        sex=anne.sex,
        birth_date=anne.birth_date,
        birth_commune_code="",
        birth_country_code="99134",
    )
    ChildFactory(family=family, first_name="Zoé")
    return family


def test_the_guardian_keeps_a_digest_of_the_identity(giraud_family, second_family):
    anne, again = (family.guardians.get() for family in (giraud_family, second_family))
    assert anne.identity_digest == again.identity_digest != ""
    assert anne.identity_digest == limits.digest_of(identity_of(anne))
    again.birth_date = again.birth_date.replace(year=1990)
    again.save(update_fields=["birth_date"])
    assert Guardian.objects.get(pk=again.pk).identity_digest != anne.identity_digest


def test_the_qf_queue_and_the_family_pages_warn_agents(
    agent_client, commune, canteen, giraud_family, second_family
):
    enrol(
        second_family,
        commune,
        period_of(canteen),
        source=Enrolment.QfSource.UNAVAILABLE,
    )
    lonely = FamilyFactory(name="Famille Seule")
    GuardianFactory(family=lonely, birth_name="Seule", first_name="Inès")
    ChildFactory(family=lonely)
    enrol(lonely, commune, period_of(canteen), source=Enrolment.QfSource.UNAVAILABLE)

    queue = text(agent_client.get(reverse("family_backoffice:qf_pending")))
    assert queue.count(SHARED) == 1
    assert REFUSED not in queue
    row = queue.split("Famille Double", 1)[1].split("</tr>", 1)[0]
    assert SHARED in row

    LookupRefusal.objects.create(
        identity_digest=second_family.guardians.get().identity_digest,
        reason=LookupRefusal.Reason.IDENTITY,
    )
    queue = text(agent_client.get(reverse("family_backoffice:qf_pending")))
    assert queue.count(REFUSED) == 1

    page = text(
        agent_client.get(
            reverse("family_portal_family_modeladmin_inspect", args=[second_family.pk])
        )
    )
    assert SHARED in page and REFUSED in page
    assert "Également responsable légal de" in page and "Famille Giraud" in page

    listing = text(agent_client.get(reverse("family_portal_family_modeladmin_index")))
    assert "responsable d'une autre famille" in listing
