"""Families left "À corriger" by a run are run again alone once the agent fixed them:
a dry run shows their month, a real run issues their invoices after the others (no gap,
nothing twice, dated the day of the re-run)."""

import dataclasses
import datetime

import pytest
from django.urls import reverse

from family_portal.billing import facts, rerun, runs, tasks
from family_portal.billing.models import BillingRun, Invoice, RunFamily
from tests.family_portal.backoffice_support import enrol
from tests.family_portal.factories import ChildFactory, FamilyFactory

from .conftest import after, attend_month, book_month, make_rules, september

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pdfs(settings):
    settings.BILLING_LAY_OUT_ON_ISSUE = False


@pytest.fixture
def month(regie, canteen, commune, enrolments, lunch, monkeypatch):
    """The canteen billed by the half hour; the Giraud family's ticked times are
    missing (so it cannot be billed) until the test says ``fixed``; the Martin family
    is fine."""
    make_rules(canteen, regie, slot_minutes=30)
    for enrolment in enrolments.values():
        book_month(enrolment, lunch, september())
        attend_month(enrolment, lunch, september())
    martin = FamilyFactory(name="Famille Martin")
    ChildFactory(family=martin, first_name="Jules")
    for enrolment in enrol(martin, commune, lunch.schedule.period):
        book_month(enrolment, lunch, september())
        attend_month(enrolment, lunch, september())
    broken = {e.pk for e in enrolments.values()}
    state = {"fixed": False}
    real = facts.month_facts

    def month_facts(enrolment_ids, first, last):
        found = real(enrolment_ids, first, last)
        if not state["fixed"]:
            for pk in broken & set(found):
                found[pk].occurrences = [
                    dataclasses.replace(o, arrival=None, departure=None)
                    for o in found[pk].occurrences
                ]
        return found

    monkeypatch.setattr(facts, "month_facts", month_facts)
    return state


def start(regie, capture, *, dry_run):
    with capture(execute=True):
        run = tasks.start(regie, september(), dry_run=dry_run, today=after(september()))
    run.refresh_from_db()
    return run


def test_a_dry_run_reruns_its_families_to_correct_once_fixed(
    regie, month, giraud_family, django_capture_on_commit_callbacks
):
    run = start(regie, django_capture_on_commit_callbacks, dry_run=True)
    giraud = RunFamily.objects.get(run=run, family=giraud_family)
    assert giraud.outcome == RunFamily.Outcome.ERROR
    assert "il manque les heures d'arrivée et de départ" in giraud.anomalies[0]
    month["fixed"] = True
    with django_capture_on_commit_callbacks(execute=True):
        batch = tasks.rerun(run)
    assert batch.family_ids == [giraud_family.pk]
    run.refresh_from_db()
    assert run.status == BillingRun.Status.DONE and run.done == run.total == 2
    giraud = RunFamily.objects.get(run=run, family=giraud_family)
    assert giraud.outcome == RunFamily.Outcome.INVOICED and giraud.total > 0
    assert RunFamily.objects.filter(run=run).count() == 2
    # Nothing left to correct: a second re-run is refused with a French message.
    with pytest.raises(runs.RunRefused, match="Aucune famille"):
        rerun.rerun(run)


def test_a_real_run_issues_the_corrected_families_after_the_others_dated_today(
    regie, month, giraud_family, django_capture_on_commit_callbacks
):
    run = start(regie, django_capture_on_commit_callbacks, dry_run=False)
    (first,) = Invoice.objects.all()
    assert first.family.name == "Famille Martin"
    month["fixed"] = True
    later = after(september()) + datetime.timedelta(days=12)
    rerun.rerun(run, today=later)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.resume(run)
    giraud = Invoice.objects.get(family=giraud_family)
    year = first.issue_date.year
    assert giraud.number == f"ENF-{year}-000002"  # no gap, after the others
    assert giraud.issue_date == later and giraud.due_date > later
    assert giraud.lines.count() > 0
    run.refresh_from_db()
    assert run.invoices == 2 and run.status == BillingRun.Status.DONE
    assert run.amount == first.total + giraud.total
    # The invoiced families are never run again.
    with pytest.raises(runs.RunRefused):
        rerun.rerun(run)
    assert Invoice.objects.count() == 2


def test_the_agent_reruns_from_the_run_page(
    agent_client, regie, month, giraud_family, django_capture_on_commit_callbacks
):
    run = start(regie, django_capture_on_commit_callbacks, dry_run=True)
    page = agent_client.get(reverse("billing_admin:run_detail", args=[run.pk]))
    assert "Recalculer les 1 famille à corriger" in page.text
    url = reverse("billing_admin:run_rerun", args=[run.pk])
    assert agent_client.get(url).status_code == 405
    month["fixed"] = True
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url, {"which": "errors"}, follow=True)
    assert "1 famille en cours de recalcul" in response.text
    outcome = RunFamily.objects.get(run=run, family=giraud_family).outcome
    assert outcome == RunFamily.Outcome.INVOICED
