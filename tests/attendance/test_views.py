"""The check-in pages and their JSON: who reaches what, what the list shows (and never
shows), sending taps (CSRF, idempotent), the session the service could not run."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from family_portal.attendance.models import AttendanceSite, Mark, SessionClosure, Tap
from family_portal.bookings.models import AbsenceReport, Booking
from tests.attendance.conftest import tap

pytestmark = pytest.mark.django_db


def urls(site, lunch, day):
    args = [site.pk, lunch.pk, day]
    return [
        reverse("attendance:home"),
        reverse("attendance:list", args=args),
        reverse("attendance:state", args=args),
        reverse("attendance:close", args=args),
    ]


def test_anonymous_visitors_sign_in_first(client, site, lunch, day):
    for url in urls(site, lunch, day):
        response = client.get(url)
        if url.endswith(".json"):
            assert response.status_code == 401
            assert "reconnectez-vous" in response.json()["error"]
        else:
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("attendance:login"))
    assert (
        client.post(reverse("attendance:taps"), "{}", "application/json").status_code
        == 401
    )


def test_a_parent_reaches_no_check_in_url(client, parent, site, lunch, day):
    client.force_login(parent)
    for url in urls(site, lunch, day):
        response = client.get(url)
        assert response.status_code == 403, url
    response = client.post(
        reverse("attendance:taps"),
        json.dumps({"taps": []}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "Réservé aux animateurs" in client.get(urls(site, lunch, day)[0]).text


def test_an_animateur_sees_only_the_sites_he_is_assigned_to(
    client, animateur, site, lunch, day, booked
):
    other = AttendanceSite.objects.create(name="Centre de loisirs des Pins")
    other.schedules.add(lunch.schedule)
    client.force_login(animateur)
    home = client.get(reverse("attendance:home"), {"jour": day.isoformat()})
    assert "École des Tilleuls" in home.text
    assert "Centre de loisirs des Pins" not in home.text
    assert reverse("attendance:list", args=[site.pk, lunch.pk, day]) in home.text
    for url in urls(other, lunch, day)[1:]:
        assert client.get(url).status_code == 403, url
    missing = reverse("attendance:list", args=[site.pk, lunch.pk + 99, day])
    assert client.get(missing).status_code == 404


def test_the_list_shows_what_it_needs_and_no_family_data(
    client, animateur, site, enrolments, lunch, day, booked
):
    lea = enrolments["Léa"]
    lea.child.last_name = "Giraud"
    lea.child.save()
    AbsenceReport.objects.create(
        child=lea.child, first_day=day, last_day=day, status="reported"
    )
    client.force_login(animateur)
    page = client.get(reverse("attendance:list", args=[site.pk, lunch.pk, day])).text
    assert "Léa G." in page and "Tom" in page
    assert "Absent signalé par la famille" in page
    assert "Giraud" not in page  # the initial only
    family = lea.family
    for secret in (
        family.street,
        str(lea.amount).replace(".", ","),
        str(lea.amount),
        "quotient",
        "QF",
        "€",
        lea.child.birth_date.strftime("%d/%m/%Y"),
    ):
        assert secret not in page, secret
    assert "attestation" not in page.lower()
    state = client.get(
        reverse("attendance:state", args=[site.pk, lunch.pk, day])
    ).json()
    assert set(state["children"][0]) == {
        "enrolment",
        "status",
        "status_at",
        "arrival",
        "arrival_at",
        "departure",
        "departure_at",
        "booked",
        "closed",
        "late",
    }


def test_taps_are_sent_with_the_csrf_token_and_recorded_once(
    animateur, site, enrolments, lunch, day, now, booked
):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(animateur)
    page = browser.get(reverse("attendance:list", args=[site.pk, lunch.pk, day]))
    token = str(page.context["csrf_token"])
    body = json.dumps({"taps": [tap(site, enrolments["Léa"], lunch, day, at=now)]})
    url = reverse("attendance:taps")
    assert browser.post(url, body, content_type="application/json").status_code == 403
    for _ in range(2):
        response = browser.post(
            url, body, content_type="application/json", headers={"X-CSRFToken": token}
        )
        assert response.status_code == 200
    assert response.json()["results"][0]["outcome"] == "duplicate"
    assert Tap.objects.count() == 1 and Mark.objects.get().status == "present"
    bad = browser.post(
        url, "nope", content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert bad.status_code == 400 and "illisible" in bad.json()["error"]


def test_closing_the_session_asks_why_and_closes_the_list(
    client, animateur, site, lunch, day, booked
):
    client.force_login(animateur)
    url = reverse("attendance:close", args=[site.pk, lunch.pk, day])
    refused = client.post(url, {"motif": ""})
    assert refused.status_code == 400 and "Indiquez pourquoi" in refused.text
    assert not SessionClosure.objects.exists()
    done = client.post(url, {"motif": "Grève des agents"}, follow=True)
    assert "2 réservation(s) fermée(s)" in done.text
    assert "Service fermé ce jour-là" in done.text
    assert set(Booking.objects.values_list("status", flat=True)) == {"closed"}
    closure = SessionClosure.objects.get()
    assert (closure.reason, closure.closed_by, closure.site) == (
        "Grève des agents",
        animateur,
        site,
    )


def test_the_app_is_installable(client):
    manifest = client.get(reverse("attendance:manifest")).json()
    assert manifest["start_url"] == "/pointage/" and manifest["display"] == "standalone"
    worker = client.get(reverse("attendance:service_worker"))
    assert worker["Content-Type"].startswith("text/javascript")
    assert "caches.open" in worker.text


def test_animateurs_sign_in_on_their_own_page(client, animateur):
    animateur.set_password("un-mot-de-passe-solide")
    animateur.save()
    response = client.post(
        reverse("attendance:login"),
        {"username": "animateur", "password": "un-mot-de-passe-solide"},
    )
    assert response.status_code == 302 and response["Location"] == "/pointage/"
