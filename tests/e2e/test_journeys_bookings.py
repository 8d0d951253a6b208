"""A parent on a phone books the canteen for two children for a month, cancels a day and
reports a sick day with a medical certificate; axe finds nothing on these pages."""

import os
import re

from django.utils import timezone
from wagtail.models import Site

from activities.models import ActivityPage
from family_portal import enrolment as enrolments
from family_portal.bookings.models import (
    AbsenceReport,
    Booking,
    ServiceSchedule,
)
from family_portal.models import Family
from home.models import CommuneSettings
from tests.e2e.accessibility import (
    assert_aria_references_resolve,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
)
from tests.e2e.conftest import MOBILE
from tests.e2e.test_journeys_parent import SMALL_PDF, click_and_wait, sign_in

SHOTS = os.environ.get("PORTAIL_SCREENSHOTS")


def shot(page, name):
    """Screenshots for a person to look at, only when asked for."""
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def checks(page):
    assert_no_axe_violations(page)
    assert_aria_references_resolve(page)
    assert_no_horizontal_scroll(page)


def canteen_for_sarah_and_lea():
    canteen = ActivityPage.objects.get(title="Restauration scolaire")
    period = canteen.periods.get()
    # The demo's canteen calendar: Monday, Tuesday, Thursday, Friday, lunch.
    schedule = ServiceSchedule.objects.get(period=period)
    assert sorted(schedule.weekdays) == [0, 1, 3, 4]
    assert [s.name for s in schedule.sessions.all()] == ["Déjeuner"]
    family = Family.objects.get(name="Famille Giraud")
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    enrolments.confirm(
        family,
        commune,
        period,
        list(family.children.exclude(enrolments__period=period).order_by("birth_date")),
        enrolments.QfChoice(enrolments.Enrolment.QfSource.NONE),
    )
    return family


def preview_and_confirm(page):
    click_and_wait(
        page, page.get_by_role("button", name="Voir le coût et valider", exact=True)
    )
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Vérifiez avant d'enregistrer"
    )
    checks(page)
    shot(page, "2-confirm")
    click_and_wait(page, page.get_by_role("button", name="Confirmer et enregistrer"))
    assert page.get_by_role("heading", level=1).inner_text() == "Ce qui a été fait"
    checks(page)


def test_a_parent_on_a_phone_books_two_children_cancels_and_reports_a_sick_day(
    live_server, page, demo_commune
):
    family = canteen_for_sarah_and_lea()
    page.set_viewport_size(MOBILE)
    page.goto(live_server.url + "/espace-famille/")
    sign_in(page)
    click_and_wait(
        page,
        page.get_by_role(
            "link",
            name="Réserver ou annuler des jours pour Léa (Restauration scolaire)",
        ),
    )
    assert "réservations de Léa" in page.get_by_role("heading", level=1).inner_text()
    next_month = page.get_by_role("link", name=re.compile("^› ?|Mois suivant"))
    if next_month.count():
        click_and_wait(page, next_month)
    checks(page)
    shot(page, "1-calendar")

    # Every open day of the month, for Léa and Sarah at once.
    boxes = page.locator('input[name="jours"]')
    count = boxes.count()
    assert count >= 8
    for index in range(count):
        boxes.nth(index).check()
    assert "jours à réserver" in page.locator(".js-count").inner_text()
    page.locator("form[data-month-form]").get_by_role("checkbox", name="Sarah").check()
    preview_and_confirm(page)
    shot(page, "3-result")
    lea, sarah = (
        family.enrolments.get(child__first_name=name) for name in ("Léa", "Sarah")
    )
    # Days already invoiced by the billing demo (last month) are not this month's.
    booked = Booking.objects.filter(
        status="booked", date__gte=timezone.localdate().replace(day=1)
    )
    assert booked.filter(enrolment=lea).count() == count
    assert booked.filter(enrolment=sarah).count() == count
    assert f"Réservé ({count})" in page.locator("main").inner_text()

    # Cancel the first day.
    click_and_wait(page, page.get_by_role("link", name="Retour au calendrier"))
    first = page.locator('input[name="jours"]').first
    assert first.is_checked()
    first.uncheck()
    preview_and_confirm(page)
    assert "Annulé (1)" in page.locator("main").inner_text()
    assert booked.filter(enrolment=lea).count() == count - 1

    # Léa is sick today: the absence, with a certificate.
    click_and_wait(page, page.get_by_role("link", name="Retour au calendrier"))
    click_and_wait(
        page, page.get_by_role("link", name=re.compile("Signaler une absence de Léa"))
    )
    assert page.get_by_role("radio", name="Léa").is_checked()
    today = timezone.localdate()
    assert page.get_by_label("Premier jour d'absence").input_value() == str(today)
    page.get_by_label("Certificat médical (facultatif)").set_input_files(
        {"name": "certificat.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}
    )
    checks(page)
    shot(page, "4-absence")
    click_and_wait(page, page.get_by_role("button", name="Signaler l'absence"))
    notice = page.get_by_role("status").inner_text()
    assert "L'absence de Léa" in notice and "sera vérifié" in notice
    checks(page)
    shot(page, "5-absence-done")
    report = AbsenceReport.objects.get(child__family=family)
    assert report.status == "pending" and report.child.first_name == "Léa"

    # The iCal feed's page, from the family space.
    click_and_wait(page, page.get_by_role("link", name="Mon espace famille").first)
    click_and_wait(
        page, page.get_by_role("link", name=re.compile("dans l'agenda de votre"))
    )
    address = page.get_by_label("Adresse de l'agenda (à copier)").input_value()
    assert address.startswith(live_server.url) and address.endswith(".ics")
    checks(page)
    shot(page, "6-feed")
    feed = page.request.get(address)
    assert feed.ok and "BEGIN:VEVENT" in feed.text()
