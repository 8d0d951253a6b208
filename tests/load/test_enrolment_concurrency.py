"""Many parents confirming at once, on the real PostgreSQL of `make test`.

60 parents confirm the same period with 10 places: exactly 10 are enrolled and 50 wait
in the order they confirmed, nobody twice, and every parent gets a page, not an error.
Barème edits and re-pricing running meanwhile leave each enrolment with one snapshot
that its own barème version explains.
"""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.urls import reverse
from wagtail.models import Site

from activities.models import Bareme, BaremeVersion
from activities.pricing import Situation, quote
from family_portal import enrolment
from family_portal.models import Enrolment, EnrolmentPriceChange
from home.models import CommuneSettings
from tests.dates import born
from tests.family_portal.factories import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PARENTS = 60
PLACES = 10


def run_together(targets, timeout=120):
    """Start every target at the same instant, each with its own connection."""
    barrier = threading.Barrier(len(targets))
    results = [None] * len(targets)
    errors = []

    def runner(index, target):
        try:
            barrier.wait(timeout=timeout)
            results[index] = target()
        except BaseException as error:  # noqa: BLE001 - reported to the test thread
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=runner, args=(index, target))
        for index, target in enumerate(targets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a request is stuck"
    if errors:
        raise errors[0]
    return results


def prepared_parent(activity, period):
    """A parent whose wizard stands at the last step, ready to confirm."""
    family = FamilyFactory()
    GuardianFactory(family=family)
    child = ChildFactory(family=family, birth_date=born(5, 1, age=8))
    client = Client()
    client.force_login(family.users.get())
    prefix = f"inscription_{activity.pk}"

    def post(step, data):
        payload = {f"{prefix}-current_step": step}
        payload.update({f"{step}-{key}": value for key, value in data.items()})
        url = reverse("family_portal:enrol_step", args=[activity.pk, step])
        response = client.post(url, payload)
        assert response.status_code == 302, response.content.decode()[:500]

    client.get(reverse("family_portal:enrol", args=[activity.pk]))
    post("enfants", {"children": [child.pk], "period": period.pk})
    post("quotient", {"source": "none"})
    post("tarif", {})

    def confirm():
        url = reverse("family_portal:enrol_step", args=[activity.pk, "confirmation"])
        response = client.post(
            url,
            {f"{prefix}-current_step": "confirmation", "confirmation-accept": "on"},
            follow=True,
        )
        return response.status_code, child.pk

    return confirm


def test_sixty_parents_ten_places(canteen):
    period = canteen.periods.get()
    period.capacity = PLACES
    period.save()
    confirms = [prepared_parent(canteen, period) for _ in range(PARENTS)]

    outcomes = run_together(confirms)

    assert [status for status, _child in outcomes] == [200] * PARENTS
    enrolments = Enrolment.objects.filter(period=period)
    assert enrolments.count() == PARENTS
    assert enrolments.values("child").distinct().count() == PARENTS
    assert enrolments.filter(status=Enrolment.Status.CONFIRMED).count() == PLACES
    waiting = list(
        enrolments.filter(status=Enrolment.Status.WAITING).order_by(
            "waiting_since", "pk"
        )
    )
    assert len(waiting) == PARENTS - PLACES
    assert [item.waiting_position for item in waiting] == list(
        range(1, len(waiting) + 1)
    )
    # The waiting list follows the order of confirmation: later rows wait longer.
    confirmed_last = enrolments.filter(status=Enrolment.Status.CONFIRMED).latest("pk")
    assert all(item.pk > confirmed_last.pk for item in waiting)


def test_double_submissions_create_one_enrolment(canteen):
    period = canteen.periods.get()
    confirms = [prepared_parent(canteen, period) for _ in range(5)]
    # Each parent clicks twice (or confirms in two tabs) at the same instant.
    outcomes = run_together([confirm for confirm in confirms for _ in range(2)])
    assert {status for status, _child in outcomes} == {200}
    assert Enrolment.objects.filter(period=period).count() == 5


def snapshot_is_explained(item):
    situation = Situation(
        qf=item.qf_value,
        residence=item.residence,
        child_rank=item.child_rank,
        regime=item.qf_provider if item.qf_provider in {"CNAF", "MSA"} else "none",
    )
    expected = quote(item.bareme_version.pricing, situation)
    return (
        expected.amount == item.amount
        and list(expected.explanation) == item.explanation
    )


def test_barème_edits_and_repricing_during_confirmations(canteen):
    period = canteen.periods.get()
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    bareme = Bareme.objects.get()
    families = [FamilyFactory() for _ in range(30)]
    children = [ChildFactory(family=family) for family in families]
    choice = enrolment.QfChoice(Enrolment.QfSource.NONE)

    def confirm(family, child):
        return lambda: enrolment.confirm(family, commune, period, [child], choice)

    def edit_price(step):
        def run():
            # What the barème admin does on save: rows changed, then a version recorded.
            with transaction.atomic():
                locked = Bareme.objects.select_for_update().get(pk=bareme.pk)
                top = locked.brackets.order_by("-sort_order").first()
                top.price = str(Decimal(top.price) + Decimal(step))
                top.save()
                locked.record_version()

        return run

    def reprice_all():
        latest = BaremeVersion.objects.filter(bareme=bareme).order_by("-number").first()
        for item in Enrolment.objects.filter(period=period):
            enrolment.reprice(
                item,
                commune,
                choice,
                kind=EnrolmentPriceChange.Kind.BAREME_CORRECTION,
                reason="Correction du barème",
                version=latest,
            )

    targets = [confirm(f, c) for f, c in zip(families, children, strict=True)]
    targets += [edit_price("0.10"), edit_price("0.20"), edit_price("0.30"), reprice_all]
    run_together(targets)
    reprice_all()

    enrolments = list(
        Enrolment.objects.filter(period=period).select_related("bareme_version")
    )
    assert len(enrolments) == 30
    for item in enrolments:
        assert item.bareme_version.locked
        assert snapshot_is_explained(item), (item.pk, item.amount)
    # Every version that priced something is frozen; its document never changed after.
    used = {item.bareme_version_id for item in enrolments}
    assert BaremeVersion.objects.filter(pk__in=used, locked=False).count() == 0
