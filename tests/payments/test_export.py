"""The accounting export of a régie's payments for a month: every movement of money once,
in the month it happened, and only the régie's."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from family_portal.billing.models import Invoice, Regie
from family_portal.payments import export
from family_portal.payments.models import Method
from family_portal.payments.services import record_payment, reverse_payment, use_credit
from tests.factories import UserFactory
from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures, by name
    agent_client_fixture,
    agent_fixture,
    groups_fixture,
)
from tests.family_portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2026, 10, 1)


def invoice(regie, family, total, n):
    return Invoice.objects.create(
        regie=regie,
        family=family,
        number=f"{regie.code}-2026-{n:06d}",
        month=datetime.date(2026, n, 1),
        issue_date=datetime.date(2026, n, 3),
        total=Decimal(total),
    )


def parsed(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_the_months_movements_of_the_regie(db):
    regie = Regie.objects.create(name="Régie enfance", code="ENF")
    other = Regie.objects.create(name="Conservatoire", code="CRD")
    family = FamilyFactory(name="Famille Giraud")
    agent = UserFactory(username="regisseuse")
    september = invoice(regie, family, "30.00", 9)
    cheque = record_payment(
        family,
        "45.00",
        Method.CHEQUE,
        received_on=datetime.date(2026, 10, 2),
        recorded_by=agent,
        invoices=[september],
        reference="778899",
        bank="La Banque Postale",
    )
    record_payment(
        family,
        "7",
        Method.CASH,
        received_on=datetime.date(2026, 10, 3),
        recorded_by=agent,
        regie=other,
        invoices=[],
    )
    record_payment(  # another month
        family,
        "5",
        Method.CASH,
        received_on=datetime.date(2026, 11, 2),
        recorded_by=agent,
        regie=regie,
        invoices=[],
    )
    october = invoice(regie, family, "10.00", 10)
    use_credit(family, regie=regie, invoices=[october], by=agent)
    header, *rows = parsed(export.to_csv(regie, OCTOBER))
    assert header == export.COLUMNS
    movements = [(r[2], r[3], r[8], r[9], r[10]) for r in rows]
    receipt = cheque.receipt_number
    assert movements[:2] == [
        (receipt, "Chèque", "Affecté à la facture", "ENF-2026-000009", "30.00"),
        (receipt, "Chèque", "Trop-perçu mis en avoir", "", "15.00"),
    ]
    this_month = timezone.localdate().replace(day=1)
    if this_month == OCTOBER:  # the credit used today counts in today's month
        assert len(movements) == 4
    else:
        assert len(movements) == 2
        header, *now = parsed(export.to_csv(regie, this_month))
        assert sorted((r[8], r[9], r[10]) for r in now) == [
            ("Avoir utilisé", "", "-10.00"),
            ("Avoir utilisé", "ENF-2026-000010", "10.00"),
        ]
    # A cancellation counts in the month it is made, as the opposite movements.
    reverse_payment(cheque, reason="Chèque sans provision", by=agent)
    header, *now = parsed(export.to_csv(regie, this_month))
    cancelled = [r for r in now if r[8] == "Annulation"]
    assert sorted(r[10] for r in cancelled) == sorted(
        ["-30.00", "-15.00", "10.00", "-10.00"]
    )


def test_agents_download_it(agent_client, agent):
    regie = Regie.objects.create(name="Régie enfance", code="ENF")
    response = agent_client.get(
        "/admin/encaissements/export.csv",
        {"regie": regie.pk, "month": timezone.localdate().replace(day=1).isoformat()},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "encaissements-ENF-" in response["Content-Disposition"]
    bad = agent_client.get("/admin/encaissements/export.csv", {"month": "2026-13-01"})
    assert bad.status_code == 302


def test_someone_without_the_permission_cannot(client):
    client.force_login(UserFactory(username="curieux"))
    response = client.get("/admin/encaissements/export.csv")
    assert response.status_code in (302, 403)
    assert Permission.objects.filter(codename="view_payment").exists()
