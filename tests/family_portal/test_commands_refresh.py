"""`manage.py refresh_quotients`: the yearly QF campaign against the fake API Particulier,
interrupted and resumed without asking the API twice for a family."""

import datetime
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from family_portal.backoffice import refresh
from family_portal.models import (
    Enrolment,
    EnrolmentPriceChange,
    QfRefreshOutcome,
    QuotientRecord,
)
from qf_connector.identity import coerce_month
from qf_connector.models import ApiCallLog

from .backoffice_support import (
    commune_fixture,  # noqa: F401 - fixture
    enrol,
    period_of,
)
from .factories import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db


def last_month():
    today = datetime.date.today()
    return (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")


@pytest.fixture
def campaign(canteen, giraud_family, commune):
    """Five families, four of them consenting; all enrolled at the canteen without QF."""
    period = period_of(canteen)
    giraud_family.qf_refresh_consent = True
    giraud_family.save()
    enrol(giraud_family, commune, period)  # Léa and Tom, 3,50 €
    bernard = FamilyFactory(name="Famille Bernard", qf_refresh_consent=True)
    GuardianFactory(
        family=bernard,
        birth_name="Bernard",
        first_name="Elodie",
        sex="F",
        birth_date=datetime.date(1990, 3, 15),
        birth_commune_code="08480",
    )
    ChildFactory(family=bernard, first_name="Hugo", last_name="Bernard")
    hugo = enrol(bernard, commune, period)[0]
    ChildFactory(
        family=bernard,
        first_name="Inès",
        last_name="Bernard",
        birth_date=datetime.date(2017, 5, 1),
    )
    ines = enrol(bernard, commune, period, [bernard.children.get(first_name="Inès")])[0]
    ines.amount, ines.price_overridden = Decimal("2.00"), True  # fixed by an agent
    ines.save()
    unknown = FamilyFactory(name="Famille Inconnue", qf_refresh_consent=True)
    GuardianFactory(family=unknown, birth_name="Inconnu", first_name="Personne")
    no_guardian = FamilyFactory(
        name="Famille Sans Responsable", qf_refresh_consent=True
    )
    refusing = FamilyFactory(name="Famille Martin", qf_refresh_consent=False)
    GuardianFactory(family=refusing)
    return {
        "giraud": giraud_family,
        "bernard": bernard,
        "hugo": hugo,
        "ines": ines,
        "unknown": unknown,
        "no_guardian": no_guardian,
        "refusing": refusing,
    }


def run(**options):
    out, err = StringIO(), StringIO()
    call_command(
        "refresh_quotients", month=last_month(), stdout=out, stderr=err, **options
    )
    return out.getvalue(), err.getvalue()


def calls_per_family():
    counts = {}
    for family_id in ApiCallLog.objects.values_list("family_id", flat=True):
        counts[family_id] = counts.get(family_id, 0) + 1
    return counts


def test_the_campaign_refreshes_reprices_and_tells_families(
    campaign, api_particulier, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core.mail.backends import locmem

    connections = []
    opened = locmem.EmailBackend.__init__

    def counted(self, *args, **kwargs):
        connections.append(self)
        opened(self, *args, **kwargs)

    monkeypatch.setattr(locmem.EmailBackend, "__init__", counted)
    out, err = run()
    assert "Familles traitées : 4" in out
    assert "Quotient mis à jour : 2" in out
    assert "Pas de quotient CAF ou MSA : 1" in out
    assert "État civil de l'allocataire incomplet : 1" in out
    assert "Inscriptions recalculées : 3" in out
    assert "Tarifs corrigés à la main, laissés tels quels : 1" in out
    assert "Familles [" in err and "4/4" in err  # the progress bar

    giraud, bernard = campaign["giraud"], campaign["bernard"]
    assert giraud.current_quotient().value == Decimal("1200")
    assert bernard.current_quotient().value == Decimal("650")
    assert campaign["refusing"].quotients.count() == 0
    assert set(giraud.enrolments.values_list("amount", flat=True)) == {Decimal("3.40")}
    campaign["hugo"].refresh_from_db()
    campaign["ines"].refresh_from_db()
    assert campaign["hugo"].amount == Decimal("3.30")  # QF 650: bracket 2
    assert campaign["ines"].amount == Decimal("2.00")  # fixed by hand: left alone
    change = EnrolmentPriceChange.objects.filter(enrolment=campaign["hugo"]).get()
    assert change.kind == EnrolmentPriceChange.Kind.QF_REFRESH
    assert "à partir du 1er" in change.reason

    outcomes = dict(QfRefreshOutcome.objects.values_list("family__name", "status"))
    assert outcomes == {
        "Famille Giraud": "refreshed",
        "Famille Bernard": "refreshed",
        "Famille Inconnue": "not_found",
        "Famille Sans Responsable": "no_identity",
    }
    # One call per family with an identity; none for the others.
    assert calls_per_family() == {
        giraud.pk: 1,
        bernard.pk: 1,
        campaign["unknown"].pk: 1,
    }
    assert set(ApiCallLog.objects.values_list("origin", flat=True)) == {
        refresh.CAMPAIGN_ORIGIN
    }
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == [
        "Votre quotient familial a été mis à jour",
        "Votre quotient familial a été mis à jour",
        "Votre quotient familial n'a pas pu être mis à jour",
    ]
    # One mail connection for the campaign, not one per family.
    assert len(connections) == 1
    giraud_mail = next(m for m in mail.outbox if giraud.users.get().email in m.to)
    assert "1200" in giraud_mail.body and "3,40 € par repas" in giraud_mail.body
    assert (
        not QfRefreshOutcome.objects.filter(notified_at__isnull=True)
        .exclude(status="no_identity")
        .exists()
    )

    # A rerun has nothing left to do: no call, no e-mail.
    mail.outbox.clear()
    out, _ = run()
    assert "Familles traitées : 0\n  Familles déjà faites avant : 4" in out
    assert ApiCallLog.objects.count() == 3 and not mail.outbox


def test_an_interrupted_campaign_resumes_without_asking_twice(
    campaign, api_particulier, monkeypatch
):
    real = refresh._lookup_outcome
    done = []

    def interrupted(family, *args, **kwargs):
        if len(done) == 2:
            raise KeyboardInterrupt
        done.append(family.pk)
        return real(family, *args, **kwargs)

    monkeypatch.setattr(refresh, "_lookup_outcome", interrupted)
    with pytest.raises(SystemExit) as stopped:
        run()
    assert stopped.value.code == 130
    assert QfRefreshOutcome.objects.count() == 2
    monkeypatch.setattr(refresh, "_lookup_outcome", real)

    out, _ = run()
    assert "Familles traitées : 2\n  Familles déjà faites avant : 2" in out
    assert QfRefreshOutcome.objects.count() == 4
    assert all(count == 1 for count in calls_per_family().values())
    assert len(calls_per_family()) == 3


def test_limit_runs_the_campaign_in_slices(campaign, api_particulier):
    run(limit=1)
    assert QfRefreshOutcome.objects.count() == 1
    run(limit=2)
    assert QfRefreshOutcome.objects.count() == 3
    run()
    assert QfRefreshOutcome.objects.count() == 4
    assert all(count == 1 for count in calls_per_family().values())


def test_temporary_failures_are_retried_on_the_next_run(campaign, api_particulier):
    # The API is down for the first family's every attempt.
    api_particulier.add_fault("status", status=503, times=4)
    out, _ = run(limit=1)
    assert "Échec provisoire : à relancer : 1" in out
    assert "relancez la commande plus tard" in out
    outcome = QfRefreshOutcome.objects.get()
    assert (outcome.status, outcome.error_kind) == ("failed", "unavailable")
    assert outcome.notified_at is None
    run()
    outcome.refresh_from_db()
    assert outcome.status == "refreshed"
    assert QfRefreshOutcome.objects.filter(status="failed").count() == 0


def test_a_configuration_error_stops_the_campaign(campaign, api_particulier):
    api_particulier.add_fault("status", status=401)
    with pytest.raises(CommandError, match="configuration"):
        run()
    assert QfRefreshOutcome.objects.count() == 1
    assert not QuotientRecord.objects.exists()


def test_the_month_is_checked(campaign):
    with pytest.raises(CommandError, match="AAAA-MM"):
        call_command("refresh_quotients", month="janvier")
    future = (datetime.date.today() + datetime.timedelta(days=62)).strftime("%Y-%m")
    with pytest.raises(CommandError, match="futur"):
        call_command("refresh_quotients", month=future)
    assert not ApiCallLog.objects.exists()


def test_no_consent_no_call(giraud_family, api_particulier, home_page):
    out, _ = run()
    assert "Familles traitées : 0" in out
    assert not ApiCallLog.objects.exists()
    assert Enrolment.objects.count() == 0


def test_a_qf_far_older_than_its_month_asked_for_is_flagged(campaign, api_particulier):
    """The fake API's staging answer for the demo allocataire is the QF of June 2023:
    recorded as current, but flagged in the report (QuotientRecord.is_stale)."""
    out, _ = run()
    giraud = campaign["giraud"].current_quotient()
    assert giraud.month == datetime.date(2023, 6, 1)
    assert giraud.is_stale
    assert "QF ancien : mois de juin 2023" in giraud.stale_warning
    assert "QF anciens, à vérifier (mois antérieur de plus de 3 mois" in out
    assert (
        "QF anciens, à vérifier (mois antérieur de plus de 3 mois à la demande) : 2"
        in out
    )
    assert "- Famille Giraud (1200 € (CAF, 06/2023))" in out
    assert "- Famille Bernard (650 € (CAF, 06/2023))" in out


def test_staleness_is_measured_from_the_day_the_qf_was_obtained(giraud_family):
    """A January QF from the yearly campaign is not stale in June; a QF whose month is
    more than 3 months before the day it was obtained is."""
    from django.utils import timezone

    def record(month, obtained):
        return QuotientRecord(
            family=giraud_family,
            value=Decimal("700"),
            provider="CNAF",
            source=QuotientRecord.Source.API,
            month=month,
            retrieved_at=timezone.make_aware(
                datetime.datetime.combine(obtained, datetime.time(12))
            ),
            valid_from=obtained,
            valid_until=obtained,
        )

    assert not record(datetime.date(2027, 1, 1), datetime.date(2027, 1, 20)).is_stale
    assert not record(datetime.date(2026, 9, 1), datetime.date(2026, 12, 5)).is_stale
    assert record(datetime.date(2026, 8, 1), datetime.date(2026, 12, 5)).is_stale
    assert record(datetime.date(2023, 6, 1), datetime.date(2026, 12, 5)).is_stale
    assert (
        record(datetime.date(2026, 11, 1), datetime.date(2026, 12, 5)).stale_warning
        == ""
    )


@pytest.mark.postgres  # threads writing at once: the in-memory SQLite of the tests
# refuses a second writer at once (shared-cache table locks wait for no busy timeout)
@pytest.mark.django_db(transaction=True)
def test_the_campaign_looks_families_up_in_parallel_within_the_rate_limit(
    campaign, commune, monkeypatch
):
    """Four threads, a server allowing 3 requests/s and a client kept at 2.5/s: every
    family asked once, none answered 429, and one family's crash while its QF is
    written stops nothing (its batch is written again family by family)."""
    from family_portal import enrolment
    from qf_connector.fakeapi.testing import (
        DEFAULT_TOKEN,
        TEST_RECIPIENT,
        FakeApiControl,
        fake_api_server,
    )
    from qf_connector.services import build_client

    real_record, real_lookup = enrolment.api_quotient, refresh._lookup_outcome
    threads = set()

    def crash_for_giraud(family, result, user=None):
        if family.pk == campaign["giraud"].pk:
            raise RuntimeError("disk full")
        return real_record(family, result, user)

    def lookup(family, *args):
        threads.add(threading.current_thread().name)
        return real_lookup(family, *args)

    monkeypatch.setattr(enrolment, "api_quotient", crash_for_giraud)
    monkeypatch.setattr(refresh, "_lookup_outcome", lookup)
    with fake_api_server(rate_limit=3) as server:
        client = build_client(
            base_url=server.base_url,
            token=DEFAULT_TOKEN,
            recipient=TEST_RECIPIENT,
            rate=2.5,
        )
        with client:
            summary = refresh.run_campaign(
                commune, coerce_month(last_month()), client=client, workers=4
            )
        stats = FakeApiControl(server.base_url).stats()
    assert stats.get("rate_limited", 0) == 0 and stats["requests"] == 3
    assert all(count == 1 for count in calls_per_family().values())
    assert len(calls_per_family()) == 3
    assert all(name.startswith("qf-campaign-") for name in threads)
    statuses = dict(QfRefreshOutcome.objects.values_list("family__name", "status"))
    assert statuses == {
        "Famille Giraud": "failed",
        "Famille Bernard": "refreshed",
        "Famille Inconnue": "not_found",
        "Famille Sans Responsable": "no_identity",
    }
    assert summary.processed == 4 and summary.outcomes["failed"] == 1
