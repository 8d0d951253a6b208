"""The agents' read-only call log screen in the Wagtail admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from qf_connector.models import ApiCallLog

pytestmark = pytest.mark.django_db

INDEX = "qf_connector_apicalllog_modeladmin_index"


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("agent", "agent@example.org", "x")
    client.force_login(user)
    return client, user


def make_rows(user, count=30):
    now = timezone.now()
    ApiCallLog.objects.bulk_create(
        ApiCallLog(
            user=user,
            family_id=index,
            origin="inscription",
            endpoint="/v3/dss/quotient_familial/identite",
            started_at=now - timedelta(minutes=index),
            duration_ms=40,
            http_status=404 if index % 3 else 200,
            error_code="37003" if index % 3 else "",
            error_kind="no_file" if index % 3 else "",
            request_id=f"req-{index}",
            attempts=1,
        )
        for index in range(count)
    )


def test_call_log_list_has_a_query_budget(admin_client, django_assert_max_num_queries):
    client, user = admin_client
    make_rows(user)
    with django_assert_max_num_queries(25):
        response = client.get(reverse(INDEX))
    assert response.status_code == 200
    content = response.content.decode()
    assert "req-29" in content
    assert "pas de dossier CAF/MSA" in content


def test_call_log_can_be_searched_filtered_and_exported(admin_client):
    client, user = admin_client
    make_rows(user, 6)
    response = client.get(reverse(INDEX), {"q": "req-4"})
    assert "req-4" in response.content.decode()
    assert "req-5" not in response.content.decode()
    response = client.get(reverse(INDEX), {"error_kind__exact": "no_file"})
    assert response.status_code == 200
    response = client.get(reverse(INDEX), {"export": "csv"})
    assert response.status_code == 200
    assert "req-3" in b"".join(response.streaming_content).decode()


def test_call_log_is_read_only(admin_client):
    client, user = admin_client
    make_rows(user, 1)
    row = ApiCallLog.objects.get()
    assert client.get(
        reverse("qf_connector_apicalllog_modeladmin_create")
    ).status_code in (
        302,
        403,
    )
    edit = reverse("qf_connector_apicalllog_modeladmin_edit", args=[row.pk])
    assert client.get(edit).status_code in (302, 403)
    delete = reverse("qf_connector_apicalllog_modeladmin_delete", args=[row.pk])
    assert client.post(delete).status_code in (302, 403)
    assert ApiCallLog.objects.count() == 1
    inspect = reverse("qf_connector_apicalllog_modeladmin_inspect", args=[row.pk])
    assert client.get(inspect).status_code == 200
