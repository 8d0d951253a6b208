"""An agent refreshes a family's QF from API Particulier: the API's cache is bypassed
on this explicit request only, provisional enrolments are settled, all is logged."""

from decimal import Decimal

import pytest
from django.urls import reverse

from family_portal.models import AgentAction, Enrolment, QuotientRecord
from family_portal.quotients import identity_of
from qf_connector.models import ApiCallLog
from qf_connector.services import lookup_by_identity

from .backoffice_support import (  # noqa: F401 - fixtures
    agent_client_fixture,
    agent_fixture,
    commune_fixture,
    enrol,
    groups_fixture,
    period_of,
    text,
)
from .factories import FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db


def test_an_agent_refresh_bypasses_the_api_cache_and_settles_enrolments(
    agent_client, agent, canteen, giraud_family, commune, api_particulier
):
    enrol(
        giraud_family,
        commune,
        period_of(canteen),
        source=Enrolment.QfSource.UNAVAILABLE,
    )
    identity = identity_of(giraud_family.guardians.get())
    # The wizard's lookup earlier today: the API now holds a cached answer.
    lookup_by_identity(identity, family_id=giraud_family.pk, origin="wizard")
    lookup_by_identity(identity, family_id=giraud_family.pk, origin="wizard")
    assert list(
        ApiCallLog.objects.order_by("started_at").values_list("cached", flat=True)
    ) == [False, True]

    url = reverse("family_backoffice:family_refresh", args=[giraud_family.pk])
    assert "sans utiliser la réponse gardée en cache" in text(agent_client.get(url))
    response = agent_client.post(url, follow=True)
    assert "Quotient familial actualisé" in text(response)

    call = ApiCallLog.objects.get(origin="agent")
    assert call.cached is False and call.user == agent
    assert call.family_id == giraud_family.pk and call.http_status == 200
    record = giraud_family.current_quotient()
    assert record.source == QuotientRecord.Source.API
    assert record.value == Decimal("1200") and record.recorded_by == agent
    assert set(Enrolment.objects.values_list("status", "amount")) == {
        ("confirmed", Decimal("3.40"))
    }
    action = AgentAction.objects.get(kind=AgentAction.Kind.QF_REFRESHED)
    assert action.user == agent and action.after["request_id"] == call.request_id
    assert len(action.after["settled_enrolments"]) == 2


def test_an_unknown_allocataire_is_reported(agent_client, api_particulier):
    family = FamilyFactory(name="Famille Inconnue")
    GuardianFactory(family=family, birth_name="Inconnu", first_name="Personne")
    response = agent_client.post(
        reverse("family_backoffice:family_refresh", args=[family.pk]), follow=True
    )
    assert "API Particulier :" in text(response)
    assert not QuotientRecord.objects.exists()
    assert ApiCallLog.objects.get().error_kind == "no_file"
    assert not AgentAction.objects.exists()


def test_a_family_without_guardian_is_not_sent(agent_client, api_particulier):
    family = FamilyFactory(name="Famille Sans Responsable")
    response = agent_client.post(
        reverse("family_backoffice:family_refresh", args=[family.pk]), follow=True
    )
    assert "état civil de l'allocataire est incomplet" in text(response)
    assert not ApiCallLog.objects.exists()
