"""axe-core (WCAG 2.1 A/AA) on every attendance page, at a tablet's and a phone's
width: the animateur's sign-in, day's lists, check-in list (photo, diet, health notes,
the "add a child" panel open), "service not run" and its undoing, the offline page; the
agents' services, month (closed, with its history), correction and reopening screens;
the parent's child page with its photo."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from family_portal import child_photos
from family_portal.attendance import closing
from family_portal.attendance.demo import ANIMATEUR
from family_portal.attendance.models import AttendanceSite, MonthClosing
from family_portal.models import Child, Enrolment
from tests.e2e.accessibility import (
    assert_aria_references_resolve,
    assert_no_axe_violations,
)
from tests.e2e.test_attendance_offline import a_list_of
from tests.e2e.test_attendance_shared_tablet import sign_in_as
from tests.e2e.test_journeys_bookings_agents import checks
from tests.e2e.test_journeys_staff import admin_sign_in

TABLET = {"width": 810, "height": 1080}
PHONE = {"width": 390, "height": 844}


def photo():
    output = io.BytesIO()
    Image.new("RGB", (600, 800), "teal").save(output, "JPEG")
    return SimpleUploadedFile("photo.jpg", output.getvalue())


def check(page):
    assert_no_axe_violations(page)
    assert_aria_references_resolve(page)


@pytest.mark.parametrize("size", [TABLET, PHONE], ids=["tablet", "phone"])
def test_every_attendance_page_passes_axe(
    live_server, page, demo_commune, size, browser_errors
):
    page.set_viewport_size(size)
    list_path = a_list_of(3)
    child = Child.objects.get(first_name="Enfant00")
    child.diet = "pai"
    child.health_notes = "Allergie à l'arachide.\nStylo d'adrénaline dans le sac."
    child.save()
    child_photos.set_photo(child, child_photos.resized_photo(photo()))
    try:
        _walk(live_server, page, list_path)
    finally:
        child.refresh_from_db()
        child_photos.remove_photo(child)
    # The three forms sent without their reason answer 400 on purpose (each with its
    # French message, checked above); the browser reports each such answer.
    refused = [p for p in browser_errors if "status of 400" in p]
    assert len(refused) == 3, browser_errors
    browser_errors[:] = [p for p in browser_errors if p not in refused]


def _walk(live_server, page, list_path):
    url = live_server.url + list_path
    page.goto(live_server.url + "/pointage/connexion/")
    check(page)
    sign_in_as(page, url, ANIMATEUR)
    expect(page.locator("img.child__photo")).to_have_count(1)
    expect(page.locator(".badge--diet")).to_contain_text("PAI alimentaire")
    page.locator("details.add-child summary").click()
    check(page)
    page.goto(live_server.url + "/pointage/")
    check(page)
    page.goto(live_server.url + "/pointage/hors-ligne/")
    check(page)

    # "Service not run", then its undoing.
    page.goto(url + "fermer/")
    check(page)
    page.get_by_role("button", name="Noter la séance comme non assurée").click()
    expect(page.get_by_role("alert")).to_be_visible()  # the reason is missing
    check(page)
    page.get_by_label("Motif").fill("Grève")
    page.get_by_role("button", name="Noter la séance comme non assurée").click()
    expect(page.locator("[data-checkin]")).to_have_attribute("data-ready", "true")
    check(page)
    page.get_by_role("link", name="annuler « service fermé »").click()
    check(page)
    page.get_by_role("button", name="Annuler « service fermé »").click()
    expect(page.get_by_role("alert")).to_be_visible()  # the reason is missing
    check(page)

    # The agents' screens, a closed month among them.
    site = AttendanceSite.objects.get()
    schedule = site.schedules.get()
    last_month = (
        timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    ).replace(day=1)
    admin_sign_in(page, live_server, "agent")
    page.goto(live_server.url + "/admin/presences/")
    checks(page)
    month = f"/admin/presences/{schedule.pk}/{last_month:%Y-%m}/"
    reopened = MonthClosing.objects.create(schedule=schedule, month=last_month)
    from django.contrib.auth import get_user_model

    agent = get_user_model().objects.get(username="agent")
    closing.reopen_month(schedule, last_month, user=agent, reason="Pointages oubliés")
    assert reopened.pk
    MonthClosing.objects.create(schedule=schedule, month=last_month, closed_by=agent)
    page.goto(live_server.url + month)
    checks(page)
    page.goto(live_server.url + month + "rouvrir/")
    checks(page)
    page.get_by_role("button", name="Rouvrir le mois").click()
    checks(page)  # the reason is missing: an error
    this_month = f"/admin/presences/{schedule.pk}/{timezone.localdate():%Y-%m}/"
    page.goto(live_server.url + this_month)
    checks(page)
    enrolment = Enrolment.objects.get(child__first_name="Enfant00")
    session = schedule.sessions.get(pk=list_path.strip("/").split("/")[2])
    page.goto(
        live_server.url
        + f"/admin/presences/corriger/{enrolment.pk}/{session.pk}/"
        + f"{timezone.localdate().isoformat()}/"
    )
    checks(page)


@pytest.mark.parametrize("size", [TABLET, PHONE], ids=["tablet", "phone"])
def test_the_childs_page_with_its_file_passes_axe(
    live_server, page, demo_commune, size
):
    from tests.e2e.test_journeys_parent import sign_in

    page.set_viewport_size(size)
    page.goto(live_server.url + "/compte/login/")
    sign_in(page)
    child = Child.objects.get(first_name="Léa", family__users__username="parent")
    page.goto(live_server.url + f"/espace-famille/enfants/{child.pk}/")
    page.get_by_label("Régime alimentaire").select_option("autre")
    page.get_by_label("Santé, allergies, PAI").fill("Asthme : ventoline")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".field-error")).to_contain_text("Précisez le régime")
    expect(page.get_by_label("Santé, allergies, PAI")).to_have_value(
        "Asthme : ventoline"
    )
    check(page)
    page.get_by_label("Nouvelle photo").set_input_files(
        files=[{"name": "lea.jpg", "mimeType": "image/jpeg", "buffer": photo().read()}]
    )
    page.get_by_role("button", name="Envoyer la photo").click()
    expect(page.get_by_role("img", name="Photo actuelle de Léa")).to_be_visible()
    check(page)
    child.refresh_from_db()
    child_photos.remove_photo(child)
