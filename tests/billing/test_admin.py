"""The agents' billing screens: rules checked by the engine with French messages where
they belong and versioned like barèmes, a run from simulation to invoices, credit notes
and corrections, the accounting export."""

import csv
import io
import json

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from family_portal.billing.models import Adjustment, BillingRun, Invoice, ServiceRules
from tests.activities.test_bareme_admin import form_values

from .conftest import after, september

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pdfs(settings):
    settings.BILLING_LAY_OUT_ON_ISSUE = False


def rules_url(name, *args):
    return reverse(f"wagtailsnippets_billing_servicerules:{name}", args=args)


def test_a_charge_that_breaks_the_format_is_shown_on_its_field_in_french(
    admin_client, rules
):
    values = form_values(admin_client.get(rules_url("edit", rules.pk)))
    values["absent_value"] = "-1"
    values["late_after"] = "18:30"  # a late pick-up without its amount
    response = admin_client.post(rules_url("edit", rules.pk), values)
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    errors = {
        field: " ".join(
            e.get_text(" ", strip=True)
            for e in page.select(
                f"[data-field-wrapper]:has([name={field}]) .error-message"
            )
        )
        for field in ("absent_value", "late_amount")
    }
    assert errors["absent_value"] and errors["late_amount"], errors
    assert rules.versions.count() == 1  # nothing recorded


def test_an_edit_after_a_billed_month_makes_a_new_version(
    admin_client, rules, booked, django_capture_on_commit_callbacks
):
    from family_portal.billing import tasks

    with django_capture_on_commit_callbacks(execute=True):
        tasks.start(rules.regie, september(), dry_run=False, today=after(september()))
    first = rules.versions.get()
    assert first.locked
    values = form_values(admin_client.get(rules_url("edit", rules.pk)))
    values["cancelled_late_value"] = "0.5"
    response = admin_client.post(rules_url("edit", rules.pk), values)
    assert response.status_code == 302
    assert rules.versions.count() == 2
    first.refresh_from_db()
    assert first.document["charges"]["cancelled_late"] == {"factor": "1"}
    latest = rules.versions.order_by("-number").first()
    assert latest.document["charges"]["cancelled_late"] == {"factor": "0.5"}
    exported = admin_client.get(
        reverse("billing_admin:rules_export", args=[rules.pk]) + "?version=1"
    )
    assert json.loads(exported.content) == first.document


def test_an_agent_simulates_reviews_and_issues_the_month(
    agent_client, regie, booked, django_capture_on_commit_callbacks, monkeypatch
):
    from family_portal.billing import admin_forms, runs

    month = september()
    monkeypatch.setattr(admin_forms.timezone, "localdate", lambda: after(month))
    monkeypatch.setattr(runs.timezone, "localdate", lambda: after(month))
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            reverse("billing_admin:run_list"),
            {"regie": regie.pk, "month": month.isoformat(), "mode": "dry"},
        )
    dry = BillingRun.objects.get()
    assert response.status_code == 302 and dry.dry_run
    page = agent_client.get(reverse("billing_admin:run_detail", args=[dry.pk]))
    text = page.content.decode()
    assert "Famille Giraud" in text
    progress = agent_client.get(reverse("billing_admin:run_progress", args=[dry.pk]))
    assert progress.json()["status"] == "done" and progress.json()["done"] == 1
    family = dry.families.get().family_id
    lines = agent_client.get(
        reverse("billing_admin:run_family", args=[dry.pk, family])
    ).content.decode()
    assert "présence réservée" in lines and "Léa — Restauration scolaire" in lines
    assert not Invoice.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reverse("billing_admin:run_issue", args=[dry.pk]))
    invoice = Invoice.objects.get()
    real = BillingRun.objects.get(dry_run=False)
    assert invoice.run == real and real.requested_by.username == "agent.famille"
    export = agent_client.get(reverse("billing_admin:run_export", args=[real.pk]))
    rows = list(
        csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0][:3] == ["numero", "type", "date_emission"]
    assert rows[1][0] == invoice.number and rows[1][7] == "Restauration scolaire"
    assert rows[1][8] == f"{invoice.total:.2f}"


def test_an_agent_issues_a_credit_note_and_a_correction(
    agent_client, agent, regie, booked, django_capture_on_commit_callbacks
):
    from family_portal.billing import tasks

    with django_capture_on_commit_callbacks(execute=True):
        tasks.start(regie, september(), dry_run=False, today=after(september()))
    invoice = Invoice.objects.get()
    url = reverse("billing_admin:invoice_detail", args=[invoice.pk])
    refused = agent_client.post(url, {"credit": "1", "amount": "99999", "reason": "x"})
    assert "ne peut dépasser" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        agent_client.post(
            url, {"credit": "1", "amount": "3,50", "reason": "Grève du 12"}
        )
    note = Invoice.objects.get(kind="credit_note")
    assert note.created_by == agent and note.reason == "Grève du 12"
    agent_client.post(url, {"correction": "1", "amount": "-1,00", "reason": "Geste"})
    assert Adjustment.objects.get().created_by == agent
    page = agent_client.get(url).content.decode()
    assert note.number in page and "Geste" in page


def test_a_parent_cannot_open_the_billing_screens(client, parent, rules):
    client.force_login(parent)
    response = client.get(reverse("billing_admin:run_list"))
    assert response.status_code in (302, 403)
    assert ServiceRules.objects.count() == 1
