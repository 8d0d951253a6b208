"""One account posting "créer ma famille" several times at once, on PostgreSQL (issue 15,
point 6): one family, and every request answers a page (the family space), never a 500."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from family_portal.models import Family
from tests.factories import UserFactory
from tests.family_portal.test_one_family_per_account import CREATE_FAMILY

from .test_enrolment_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REQUESTS = 6


def test_simultaneous_creations_from_one_account_make_one_family(home_page):
    assert connection.vendor == "postgresql"
    user = UserFactory(email="durand@example.org")
    clients = []
    for _ in range(REQUESTS):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)

    def create(client):
        return lambda: client.post(
            reverse("family_portal:family_create"), CREATE_FAMILY
        )

    responses = run_together([create(client) for client in clients])

    assert [response.status_code for response in responses] == [302] * REQUESTS
    assert {response["Location"] for response in responses} <= {
        reverse("family_portal:child_add"),
        reverse("family_portal:dashboard"),
    }
    assert Family.objects.count() == 1
    assert Family.objects.get().guardians.count() == 1
    assert Family.for_user(user) is not None
