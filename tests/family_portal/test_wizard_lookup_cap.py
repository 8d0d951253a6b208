"""The wizard while other requests' lookups take every place (QF_LOOKUPS_IN_FLIGHT): the
parent is answered at once with the "service unavailable" way on, and no API call."""

import pytest

from family_portal.models import Enrolment
from qf_connector import services
from qf_connector.models import ApiCallLog

from .test_wizard import Wizard, choose_children, identity_data

pytestmark = pytest.mark.django_db


def test_lookup_step_offers_the_fallback_at_once_when_every_place_is_taken(
    client, canteen, giraud_family, api_particulier, settings
):
    settings.QF_LOOKUPS_IN_FLIGHT = 1
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    wizard.post("quotient", {"source": "api"})
    data = identity_data(giraud_family)
    assert services.request_lookups.try_acquire()  # a lookup hanging elsewhere
    try:
        page = wizard.post("caf-msa", data)
    finally:
        services.request_lookups.release()
    html = page.content.decode()
    assert page.status_code == 200
    assert "momentanément indisponible" in html
    assert "tarif provisoire" in html
    assert api_particulier.stats()["requests"] == 0
    assert list(ApiCallLog.objects.values_list("origin", "detail")) == [
        ("wizard", "busy")
    ]
    # What was typed is kept: the parent goes on with the provisional tariff.
    page = wizard.post("caf-msa", data | {"fallback": "provisional"}, follow=True)
    assert "provisoire" in page.content.decode()
    wizard.post("tarif", {})
    wizard.post("confirmation", {"accept": "on"}, follow=True)
    assert set(Enrolment.objects.values_list("status", "qf_source")) == {
        (Enrolment.Status.QF_PENDING, Enrolment.QfSource.UNAVAILABLE)
    }
    assert services.request_lookups.in_flight == 0
