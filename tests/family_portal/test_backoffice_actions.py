"""Audited agents' actions: price override, re-pricing after a barème correction (one
enrolment or a whole period, previewed first), cancellation and the waiting list,
counter mode."""

import html
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from family_portal.models import AgentAction, Enrolment, EnrolmentPriceChange
from tests.dates import born

from .backoffice_support import (  # noqa: F401 - fixtures
    agent_client_fixture,
    agent_fixture,
    commune_fixture,
    enrol,
    groups_fixture,
    period_of,
    quotient,
    text,
)
from .factories import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(canteen, giraud_family, commune):
    """Léa and Tom at the canteen with a QF of 1 200 € (bracket 3: 3,40 €)."""
    record = quotient(giraud_family, "1200")
    return enrol(
        giraud_family,
        commune,
        period_of(canteen),
        source=Enrolment.QfSource.RECORD,
        quotient=record,
    )


def corrected_version(enrolment, price="3.45"):
    """The agent fixes a typo in bracket 3: a new version, the first one being used."""
    bareme = enrolment.bareme_version.bareme
    bracket = bareme.brackets.get(label__startswith="Tranche 3")
    bracket.price = price
    bracket.save()
    version, created = bareme.record_version()
    assert created and version.number == 2
    return version


# -- override -------------------------------------------------------------------------------


def test_an_override_needs_a_reason_and_is_audited(agent_client, agent, enrolled):
    item = enrolled[0]
    url = reverse("family_backoffice:enrolment_override", args=[item.pk])
    response = agent_client.post(url, {"amount": "2,00", "reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    item.refresh_from_db()
    assert item.amount == Decimal("3.40") and not item.price_overridden

    response = agent_client.post(
        url, {"amount": "2,00 €", "reason": "Décision du CCAS du 12 janvier"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.amount == Decimal("2.00") and item.price_overridden
    assert "Décision du CCAS" in item.explanation[-1]
    change = EnrolmentPriceChange.objects.get()
    assert change.kind == EnrolmentPriceChange.Kind.OVERRIDE
    assert change.changed_by == agent
    assert change.reason == "Décision du CCAS du 12 janvier"
    assert (change.before["amount"], change.after["amount"]) == ("3.40", "2.00")
    # The enrolment's page shows the history.
    html = agent_client.get(
        reverse("family_portal_enrolment_modeladmin_inspect", args=[item.pk])
    ).content.decode()
    assert "Décision du CCAS du 12 janvier" in html and "corrigé à la main" in html


def test_an_override_to_the_same_price_is_refused(agent_client, enrolled):
    item = enrolled[0]
    response = agent_client.post(
        reverse("family_backoffice:enrolment_override", args=[item.pk]),
        {"amount": "3.40", "reason": "essai"},
    )
    assert "déjà de 3,40" in response.content.decode()
    assert not EnrolmentPriceChange.objects.exists()


# -- re-pricing after a barème correction -----------------------------------------------------


def test_a_period_is_repriced_after_a_preview(agent_client, agent, enrolled, commune):
    period = enrolled[0].period
    version = corrected_version(enrolled[0])
    # A third family priced by hand keeps its price.
    other = FamilyFactory(name="Famille Roux")
    ChildFactory(family=other, first_name="Jules")
    fixed = enrol(
        other,
        commune,
        period,
        source=Enrolment.QfSource.RECORD,
        quotient=quotient(other, "1100"),
    )[0]
    fixed.amount, fixed.price_overridden = Decimal("2.00"), True
    fixed.save()

    url = reverse("family_backoffice:period_reprice", args=[period.pk])
    response = agent_client.get(url, {"version": version.pk})
    html = response.content.decode()
    lines = response.context["lines"]
    assert len(lines) == 3
    assert [line.amount for line in response.context["changed"]] == [
        Decimal("3.45")
    ] * 2
    assert "Tarif corrigé à la main" in html
    assert "Appliquer à 2 inscriptions" in html
    # Nothing is written by the preview.
    assert set(Enrolment.objects.values_list("amount", flat=True)) == {
        Decimal("3.40"),
        Decimal("2.00"),
    }

    response = agent_client.post(
        url,
        {
            "version": version.pk,
            "fingerprint": response.context["fingerprint"],
            "reason": "Coquille de la tranche 3 corrigée",
        },
    )
    assert response.status_code == 302
    for item in enrolled:
        item.refresh_from_db()
        assert item.amount == Decimal("3.45") and item.bareme_version == version
    fixed.refresh_from_db()
    assert fixed.amount == Decimal("2.00") and fixed.price_overridden
    changes = EnrolmentPriceChange.objects.filter(
        kind=EnrolmentPriceChange.Kind.BAREME_CORRECTION
    )
    assert changes.count() == 2
    assert {change.reason for change in changes} == {
        "Coquille de la tranche 3 corrigée"
    }
    assert {change.changed_by for change in changes} == {agent}
    assert (
        changes[0].before["bareme_version_id"] != changes[0].after["bareme_version_id"]
    )
    action = AgentAction.objects.get(kind=AgentAction.Kind.PERIOD_REPRICED)
    assert action.after["changed"] == 2 and action.after["version_id"] == version.pk


def test_a_stale_preview_is_not_applied(agent_client, enrolled):
    period = enrolled[0].period
    version = corrected_version(enrolled[0])
    url = reverse("family_backoffice:period_reprice", args=[period.pk])
    stamp = agent_client.get(url, {"version": version.pk}).context["fingerprint"]
    # Meanwhile another agent fixes one price by hand.
    item = enrolled[1]
    item.amount, item.price_overridden = Decimal("1.00"), True
    item.save()
    response = agent_client.post(
        url, {"version": version.pk, "fingerprint": stamp, "reason": "x"}
    )
    assert response.status_code == 200
    assert "ont changé depuis l'aperçu" in text(response)
    assert not EnrolmentPriceChange.objects.exists()


def test_one_enrolment_is_repriced(agent_client, enrolled):
    item = enrolled[0]
    version = corrected_version(item, price="3.42")
    url = reverse("family_backoffice:enrolment_reprice", args=[item.pk])
    preview = agent_client.get(url, {"version": version.pk})
    assert preview.context["changed"][0].difference == Decimal("0.02")
    agent_client.post(
        url,
        {"version": version.pk, "fingerprint": preview.context["fingerprint"]},
    )
    item.refresh_from_db()
    assert item.amount == Decimal("3.42")
    change = EnrolmentPriceChange.objects.get()
    assert change.reason == f"Correction du barème : {version}."
    enrolled[1].refresh_from_db()
    assert enrolled[1].amount == Decimal("3.40")  # the other one is left alone


# -- cancellation and the waiting list --------------------------------------------------------


@pytest.fixture
def full_period(canteen, giraud_family, commune):
    """Two places, both taken by the Giraud children; two children waiting."""
    period = period_of(canteen)
    period.capacity = 2
    period.save()
    enrolled = enrol(giraud_family, commune, period)
    waiting = []
    for name in ["Roux", "Lefebvre"]:
        family = FamilyFactory(name=f"Famille {name}")
        ChildFactory(family=family, first_name=f"Enfant {name}", last_name=name)
        waiting += enrol(family, commune, period)
    assert [item.status for item in waiting] == ["waiting", "waiting"]
    return period, enrolled, waiting


def test_cancelling_frees_a_place_for_the_first_child_waiting(
    agent_client, agent, full_period, django_capture_on_commit_callbacks
):
    period, enrolled, waiting = full_period
    url = reverse("family_backoffice:enrolment_cancel", args=[enrolled[0].pk])
    assert "reason" in agent_client.post(url, {"reason": ""}).context["form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url, {"reason": "Déménagement de la famille"})
    assert response.status_code == 302
    enrolled[0].refresh_from_db()
    assert enrolled[0].status == Enrolment.Status.CANCELLED
    first, second = (Enrolment.objects.get(pk=item.pk) for item in waiting)
    assert first.status == Enrolment.Status.CONFIRMED
    assert second.status == Enrolment.Status.WAITING and second.waiting_position == 1
    kinds = list(
        AgentAction.objects.order_by("pk").values_list(
            "kind", "before", "after", "user"
        )
    )
    assert kinds == [
        ("cancelled", {"status": "confirmed"}, {"status": "cancelled"}, agent.pk),
        ("promoted", {"status": "waiting"}, {"status": "confirmed"}, agent.pk),
    ]
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == [
        "Inscription annulée : Restauration scolaire",
        "Une place s'est libérée : Restauration scolaire",
    ]
    promoted_mail = next(m for m in mail.outbox if "place" in m.subject)
    assert promoted_mail.to == [first.family.users.get().email]
    assert "l'inscription de Enfant Roux" in promoted_mail.body


def test_a_child_out_of_turn_needs_a_reason(agent_client, full_period):
    period, enrolled, waiting = full_period
    period.capacity = 3
    period.save()
    url = reverse("family_backoffice:enrolment_promote", args=[waiting[1].pk])
    response = agent_client.post(url, {"reason": ""})
    assert "D'autres enfants attendent" in text(response)
    response = agent_client.post(url, {"reason": "Fratrie déjà inscrite"})
    assert response.status_code == 302
    assert Enrolment.objects.get(pk=waiting[1].pk).status == "confirmed"
    # Now the period is full again: no more promotion.
    response = agent_client.post(
        reverse("family_backoffice:enrolment_promote", args=[waiting[0].pk]), {}
    )
    assert "La période est complète" in text(response), text(response)[-3000:]


def test_free_places_go_to_the_waiting_list_in_order(agent_client, full_period):
    period, enrolled, waiting = full_period
    period.capacity = 4
    period.save()
    html = agent_client.get(
        reverse("family_backoffice:period_detail", args=[period.pk])
    ).content.decode()
    assert "Attribuer 2 places libres" in html
    assert html.index("Enfant Roux") < html.index("Enfant Lefebvre")
    agent_client.post(reverse("family_backoffice:period_detail", args=[period.pk]))
    assert set(
        Enrolment.objects.filter(pk__in=[w.pk for w in waiting]).values_list(
            "status", flat=True
        )
    ) == {"confirmed"}


def test_a_waiting_child_with_a_document_is_promoted_provisionally(
    agent, full_period, commune
):
    from family_portal.backoffice import places

    period, enrolled, waiting = full_period
    family = FamilyFactory(name="Famille Martin")
    child = ChildFactory(family=family)
    item = enrol(family, commune, period, [child], source=Enrolment.QfSource.DOCUMENT)[
        0
    ]
    assert item.status == "waiting"
    places.cancel(enrolled[0], reason="x", user=agent)
    places.cancel(enrolled[1], reason="x", user=agent)
    places.cancel(waiting[0], reason="x", user=agent)
    places.cancel(waiting[1], reason="x", user=agent)
    item.refresh_from_db()
    assert item.status == Enrolment.Status.QF_PENDING


# -- counter mode --------------------------------------------------------------------------


def test_counter_mode_prices_then_confirms(
    agent_client, agent, canteen, giraud_family, django_capture_on_commit_callbacks
):
    quotient(giraud_family, "600")
    period = period_of(canteen)
    search = agent_client.get(reverse("family_backoffice:counter_search"), {"q": "Léa"})
    url = reverse("family_backoffice:counter_enrol", args=[giraud_family.pk])
    assert url in search.content.decode()
    lea = giraud_family.children.get(first_name="Léa")
    data = {"children": [lea.pk], "period": period.pk, "qf_source": "record"}
    preview = agent_client.post(url, data)
    assert "Confirmer l'inscription" in text(preview)
    assert preview.context["planned"][0].quote.amount == Decimal("1.00")
    assert not Enrolment.objects.exists()

    response = agent_client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 302
    item = Enrolment.objects.get()
    assert (item.child, item.amount, item.status) == (lea, Decimal("1.00"), "confirmed")
    assert item.created_by == agent and item.qf_source == Enrolment.QfSource.RECORD
    action = AgentAction.objects.get(kind=AgentAction.Kind.COUNTER_ENROLMENT)
    assert action.enrolment == item and action.user == agent
    assert len(mail.outbox) == 1 and "Restauration scolaire" in mail.outbox[0].subject
    # The same again enrols nobody twice.
    agent_client.post(url, {**data, "confirm": "1"})
    assert Enrolment.objects.count() == 1


def test_counter_mode_refuses_a_child_of_the_wrong_age(
    agent_client, canteen, giraud_family
):
    baby = giraud_family.children.create(
        first_name="Bébé", last_name="Giraud", birth_date=born(1, 1, age=1)
    )
    url = reverse("family_backoffice:counter_enrol", args=[giraud_family.pk])
    response = agent_client.post(
        url,
        {
            "children": [baby.pk],
            "period": period_of(canteen).pk,
            "qf_source": "none",
            "confirm": "1",
        },
    )
    assert (
        "Bébé : l'activité est ouverte à partir de 3 ans"
        in response.content.decode().replace("&#x27;", "'")
    )
    assert not Enrolment.objects.exists()


def test_every_price_change_by_an_agent_is_in_the_audit_list_in_french(
    agent_client, agent, enrolled
):
    """A correction and a re-pricing of one enrolment appear in "Actions des agents",
    their values in French there and in the enrolment's price history."""

    item = enrolled[0]
    agent_client.post(
        reverse("family_backoffice:enrolment_override", args=[item.pk]),
        {"amount": "2,00", "reason": "Décision du CCAS"},
    )
    action = AgentAction.objects.get(kind=AgentAction.Kind.PRICE_OVERRIDDEN)
    assert action.user == agent and action.enrolment == item
    assert action.reason == "Décision du CCAS"
    listing = html.unescape(
        agent_client.get(
            reverse("family_portal_agentaction_modeladmin_index")
        ).content.decode()
    )
    assert "Tarif corrigé à la main" in listing
    assert "tarif : 3,40 €" in listing and "tarif : 2,00 €" in listing
    assert "Toutes les dates" in listing and "Any date" not in listing
    inspect = html.unescape(
        agent_client.get(
            reverse("family_portal_agentaction_modeladmin_inspect", args=[action.pk])
        ).content.decode()
    )
    assert "tarif : 2,00 €" in inspect and '"amount"' not in inspect
    history = html.unescape(
        agent_client.get(
            reverse("family_portal_enrolment_modeladmin_inspect", args=[item.pk])
        ).content.decode()
    )
    assert "3,40 €" in history and "(Inscription confirmée)" in history
    assert "3.40" not in history and "(confirmed)" not in history


def test_a_revocation_by_an_agent_is_audited(agent_client, agent, enrolled):
    from family_portal.certificates import services

    certificate = services.current_certificate(enrolled[0])
    agent_client.post(
        reverse("certificates:revoke", args=[certificate.number]),
        {"reason": "Erreur de saisie"},
    )
    action = AgentAction.objects.get(kind=AgentAction.Kind.CERTIFICATE_REVOKED)
    assert action.user == agent and action.reason == "Erreur de saisie"
    assert action.after == {"certificate": certificate.number}


def test_an_agent_changes_the_places_of_a_period_with_the_audit(
    agent_client, agent, full_period, canteen
):
    period, enrolled, waiting = full_period
    canteen.save_revision().publish()  # the page's revision holds 2 places
    url = reverse("family_backoffice:period_capacity", args=[period.pk])
    detail = agent_client.get(
        reverse("family_backoffice:period_detail", args=[period.pk])
    ).content.decode()
    assert url in detail
    response = agent_client.post(url, {"capacity": "1", "reason": "Salle réduite"})
    assert "2 enfants ont déjà une place" in html.unescape(response.content.decode())
    response = agent_client.post(url, {"capacity": "4", "reason": ""})
    assert "reason" in response.context["form"].errors
    response = agent_client.post(url, {"capacity": "4", "reason": "Second service"})
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.capacity == 4
    action = AgentAction.objects.get(kind=AgentAction.Kind.CAPACITY_CHANGED)
    assert action.user == agent and action.reason == "Second service"
    assert (action.before["capacity"], action.after["capacity"]) == (2, 4)
    # An editor publishing the page afterwards keeps the agent's number.
    canteen.refresh_from_db()
    canteen.get_latest_revision().publish()
    period.refresh_from_db()
    assert period.capacity == 4
