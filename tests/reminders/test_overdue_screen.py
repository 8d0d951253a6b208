"""The agents' screen of overdue invoices: who may open it, what it lists, its filters,
its CSV export and the count on the admin home."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from family_portal.billing.models import Regie
from family_portal.reminders.models import Reminder
from family_portal.reminders.wagtail_hooks import register_overdue_menu_item
from tests.factories import UserFactory
from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures, by name
    agent_client_fixture,
    agent_fixture,
    editor_fixture,
    groups_fixture,
    text,
)
from tests.family_portal.factories import FamilyFactory

from .conftest import make_invoice

pytestmark = pytest.mark.django_db

LIST = reverse("reminders_admin:overdue_list")
EXPORT = reverse("reminders_admin:overdue_export")


@pytest.fixture
def scene(commune, family, regie):
    today = timezone.localdate()
    late = make_invoice(
        family, regie, 1, total="42.50", due=today - datetime.timedelta(days=20)
    )
    Reminder.objects.create(
        invoice=late, level=1, recipients="parent.giraud@example.org", amount_due=42.5
    )
    sport = Regie.objects.create(name="Régie sport", code="SPO")
    other = FamilyFactory(name='=HYPERLINK("http://x")')
    make_invoice(other, sport, 2, total="30.00", due=today - datetime.timedelta(days=3))
    paid = make_invoice(family, regie, 3, due=today - datetime.timedelta(days=40))
    paid.paid_amount = paid.total
    paid.save()
    make_invoice(family, regie, 4, due=today + datetime.timedelta(days=5))
    return {"late": late}


def test_who_may_open_it(client, scene, groups, agent, editor, parent):
    assert client.get(LIST).status_code == 302  # to the admin's sign-in
    for user in (parent, editor):
        client.force_login(user)
        for url in (LIST, EXPORT):
            response = client.get(url)
            assert response.status_code in (302, 403)
            assert "ENF-2026" not in text(response)
    # An agent without the billing permissions (the family service's view only).
    clerk = UserFactory(username="guichet")
    clerk.user_permissions.add(
        Permission.objects.get(codename="view_family"),
        Permission.objects.get(codename="access_admin"),
    )
    client.force_login(clerk)
    for url in (LIST, EXPORT):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert "ENF-2026" not in text(response)
    client.force_login(agent)
    assert client.get(LIST).status_code == 200
    assert client.get(EXPORT).status_code == 200


def test_the_list_per_regie(agent_client, scene):
    page = text(agent_client.get(LIST))
    assert "2 factures en retard" in page
    assert page.index("Régie enfance") < page.index("Régie sport")
    assert "ENF-2026-000001" in page
    assert "Première relance le" in page
    assert "ENF-2026-000002" in page
    assert "ENF-2026-000003" not in page  # paid
    assert "ENF-2026-000004" not in page  # not yet due
    assert "42,50 € à recouvrer" in page


def test_the_filters(agent_client, scene, regie):
    page = text(agent_client.get(LIST, {"regie": regie.pk}))
    assert "ENF-2026-000001" in page and "ENF-2026-000002" not in page
    page = text(agent_client.get(LIST, {"reminders": "0"}))
    assert "ENF-2026-000001" not in page and "ENF-2026-000002" in page
    page = text(agent_client.get(LIST, {"search": "giraud"}))
    assert "ENF-2026-000001" in page and "ENF-2026-000002" not in page
    page = text(agent_client.get(LIST, {"regie": "999999"}))
    assert "Sélectionnez un choix valide" in page


def test_the_csv_export(agent_client, scene, regie):
    response = agent_client.get(EXPORT, {"regie": regie.pk})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(
        csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0][:4] == ["regie", "numero", "famille_id", "famille"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["numero"] == "ENF-2026-000001"
    assert row["famille"] == "Famille Giraud"
    assert row["reste_a_payer"] == "42.50"
    assert row["jours_de_retard"] == "20"
    assert row["relance_1"] == timezone.localdate().isoformat()
    assert row["relance_2"] == ""
    everything = agent_client.get(EXPORT).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in everything  # never a formula


def test_the_count_on_the_admin_home(client, scene, agent, editor):
    client.force_login(agent)
    page = text(client.get("/admin/"))
    assert "2 factures impayées en retard" in page
    assert LIST in page
    client.force_login(editor)
    assert "impayées en retard" not in text(client.get("/admin/"))


def test_the_menu(rf, scene, agent, editor):
    item = register_overdue_menu_item()
    for user, shown in ((agent, True), (editor, False)):
        request = rf.get("/admin/")
        request.user = user
        assert item.is_shown(request) is shown
    assert str(item.url) == LIST
