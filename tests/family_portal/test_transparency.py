"""Transparency: the family sees each QF lookup made about it (date, who asked, the
administration, the outcome, from the call log; never the identity sent or the token),
and gives or withdraws its consent to lookups made without it, which the yearly refresh
and the retry after an outage honour."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from family_portal.backoffice.refresh import campaign_families
from family_portal.models import Enrolment
from family_portal.quotients import (
    allocataire,
    families_waiting_for_the_api,
    identity_of,
)
from qf_connector.errors import QuotientError
from qf_connector.fakeapi.testing import DEFAULT_TOKEN
from qf_connector.models import ApiCallLog
from qf_connector.services import lookup_by_identity

from .backoffice_support import (  # noqa: F401 - fixtures
    commune_fixture,
    enrol,
    period_of,
)
from .factories import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("family_portal:qf_lookups")


def test_the_family_sees_each_lookup_without_identity_or_token(
    client, home_page, giraud_family, api_particulier
):
    user = giraud_family.users.get()
    guardian = allocataire(giraud_family)
    lookup_by_identity(
        identity_of(guardian), user=user, family_id=giraud_family.pk, origin="wizard"
    )
    guardian.birth_name = "Inconnudutout"
    with pytest.raises(QuotientError):
        lookup_by_identity(
            identity_of(guardian),
            family_id=giraud_family.pk,
            origin="campagne annuelle",
        )
    ApiCallLog.objects.create(  # another family's: never shown
        family_id=giraud_family.pk + 1000,
        origin="agent",
        endpoint="/v3/x",
        started_at=timezone.now(),
        duration_ms=1,
    )
    answered = ApiCallLog.objects.get(origin="wizard")
    assert answered.provider == "CNAF"

    client.force_login(user)
    dashboard = client.get(reverse("family_portal:dashboard")).content.decode()
    assert f'href="{PAGE}"' in dashboard
    html = client.get(PAGE).content.decode()
    rows = html.split("<tbody")[1].split("</tbody>")[0].count('role="row"')
    assert rows == 2
    assert "Vous, pendant une inscription en ligne" in html
    assert "Mise à jour annuelle" in html
    assert ">CAF<" in html
    assert "Quotient familial obtenu" in html
    assert "Aucun dossier à la CAF ou à la MSA" in html
    for secret in (
        DEFAULT_TOKEN,
        "Inconnudutout",
        guardian.first_name,
        answered.request_id,
        answered.endpoint,
    ):
        assert secret not in html


def test_consent_is_given_and_withdrawn_with_when_and_who(
    client, home_page, giraud_family
):
    user = giraud_family.users.get()
    client.force_login(user)
    assert giraud_family.qf_refresh_consent is False  # not given by default
    assert "Vous n'avez pas donné votre accord" in client.get(PAGE).content.decode()

    client.post(PAGE, {"consent": "give"})
    giraud_family.refresh_from_db()
    assert giraud_family.qf_refresh_consent is True
    assert giraud_family.qf_refresh_consent_by == user
    given_at = giraud_family.qf_refresh_consent_at
    assert timezone.now() - given_at < datetime.timedelta(minutes=1)
    assert giraud_family in campaign_families(datetime.date(2026, 8, 1))

    response = client.post(PAGE, {"consent": "withdraw"}, follow=True)
    assert "Votre accord est retiré" in response.content.decode()
    giraud_family.refresh_from_db()
    assert giraud_family.qf_refresh_consent is False
    assert giraud_family.qf_refresh_consent_at >= given_at
    assert giraud_family.qf_refresh_consent_withdrawn
    assert giraud_family not in campaign_families(datetime.date(2026, 8, 1))


def test_the_retry_after_an_outage_honours_a_withdrawal(
    canteen, giraud_family, commune
):
    withdrawn = FamilyFactory(name="Famille Retirée")
    ChildFactory(family=withdrawn)
    for family in (giraud_family, withdrawn):
        enrol(
            family, commune, period_of(canteen), source=Enrolment.QfSource.UNAVAILABLE
        )
    assert set(families_waiting_for_the_api()) == {giraud_family, withdrawn}
    withdrawn.set_qf_refresh_consent(False, user=withdrawn.users.get())
    assert set(families_waiting_for_the_api()) == {giraud_family}
