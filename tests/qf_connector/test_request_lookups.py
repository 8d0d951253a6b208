"""The cap on lookups that web requests wait for (QF_LOOKUPS_IN_FLIGHT per process), over
real HTTP: a lookup beyond it is refused at once, without a request to the API."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import override_settings

from qf_connector import services
from qf_connector.errors import ErrorKind, QuotientError
from qf_connector.models import ApiCallLog
from qf_connector.resilience import InFlightLimit
from tests.factories import UserFactory

from .test_services import api_settings, giraud  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap_of_one(api_settings):  # noqa: F811 - the fixture imported above
    with override_settings(QF_LOOKUPS_IN_FLIGHT=1):
        assert services.request_lookups.in_flight == 0
        yield api_settings
    assert services.request_lookups.in_flight == 0


def api_requests(control) -> int:
    return control.stats()["requests"]


def test_a_lookup_beyond_the_cap_is_refused_at_once_without_a_call(
    cap_of_one, fake_api_control
):
    parent = UserFactory()
    assert services.request_lookups.try_acquire()  # another request's lookup
    try:
        with pytest.raises(QuotientError) as raised:
            services.lookup_by_identity(
                giraud(), user=parent, family_id=7, origin="wizard", in_request=True
            )
    finally:
        services.request_lookups.release()
    error = raised.value
    assert (error.kind, error.reason, error.attempts) == (
        ErrorKind.UNAVAILABLE,
        "busy",
        0,
    )
    assert "momentanément indisponible" in error.message
    assert api_requests(fake_api_control) == 0
    [row] = ApiCallLog.objects.all()
    assert (row.user, row.family_id, row.error_kind, row.detail, row.attempts) == (
        parent,
        7,
        "unavailable",
        "busy",
        0,
    )
    # The place free again, the same lookup goes through.
    result = services.lookup_by_identity(giraud(), in_request=True)
    assert result.value == 1200
    assert api_requests(fake_api_control) == 1


# The hanging lookup runs in a thread of its own, whose call-log row is committed on its
# own connection: a transactional test empties the tables after it (on PostgreSQL the row
# would otherwise outlive the test and be counted by the next ones).
@pytest.mark.django_db(transaction=True)
def test_a_hanging_lookup_holds_its_place_until_it_ends(cap_of_one, fake_api_control):
    fake_api_control.add_fault("latency", latency=2, times=1)
    outcome = {}

    def first_parent():
        try:
            outcome["first"] = services.lookup_by_identity(giraud(), in_request=True)
        finally:
            connection.close()

    hanging = threading.Thread(target=first_parent)
    hanging.start()
    try:
        deadline = time.monotonic() + 10
        while api_requests(fake_api_control) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert services.request_lookups.in_flight == 1
        with pytest.raises(QuotientError) as raised:
            services.lookup_by_identity(giraud(), in_request=True)
        assert raised.value.reason == "busy"
        assert api_requests(fake_api_control) == 1
        # Batch lookups (commands, campaigns) are not web requests: never refused.
        assert services.lookup_by_identity(giraud()).value == 1200
    finally:
        hanging.join(timeout=30)
    assert outcome["first"].value == 1200
    assert services.request_lookups.in_flight == 0


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ({"kind": "status", "status": 404}, ErrorKind.NO_FILE),
        ({"kind": "status", "status": 503, "times": 4}, ErrorKind.UNAVAILABLE),
        ({"kind": "drop", "times": 4}, ErrorKind.UNAVAILABLE),
    ],
)
def test_the_place_is_given_back_after_an_error(
    cap_of_one, fake_api_control, fault, kind
):
    fake_api_control.add_faults([fault])
    with pytest.raises(QuotientError) as raised:
        services.lookup_by_identity(giraud(), in_request=True)
    assert raised.value.kind == kind
    assert services.request_lookups.in_flight == 0
    fake_api_control.clear_faults()
    assert services.lookup_by_identity(giraud(), in_request=True).value == 1200


def test_the_place_is_given_back_after_an_unexpected_failure(
    cap_of_one, qf_client_factory
):
    def broken_recipient():
        raise RuntimeError("settings unreadable")

    client = qf_client_factory(recipient=broken_recipient)
    with pytest.raises(QuotientError) as raised:
        services.lookup_by_identity(giraud(), client=client, in_request=True)
    assert raised.value.reason == "internal_error"
    assert services.request_lookups.in_flight == 0


def test_in_flight_limit_reads_its_limit_at_each_acquire():
    limit = {"value": 2}
    places = InFlightLimit(lambda: limit["value"])
    assert places.try_acquire() and places.try_acquire()
    assert not places.try_acquire()
    limit["value"] = 3
    assert places.try_acquire()
    for _ in range(3):
        places.release()
    assert places.in_flight == 0
    with pytest.raises(RuntimeError):
        places.release()
