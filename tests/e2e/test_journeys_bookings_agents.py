"""An agent of the demo commune in a real browser: the morning and evening care's month
grid (closing a day), tomorrow's headcounts, a family's bookings and booking at the
counter past the deadline, a sick-child certificate refused with a reason; axe finds no
WCAG 2.1 A/AA violation on these screens."""

import re

from django.utils import timezone

from family_portal.bookings import services
from family_portal.bookings.models import (
    AbsenceReport,
    Booking,
    CalendarChange,
    ServiceSchedule,
)
from family_portal.models import Family
from tests.e2e.accessibility import assert_no_axe_violations
from tests.e2e.test_journeys_staff import admin_sign_in, click_and_wait


def checks(page):
    # Wagtail's messages fade in: axe would read their colours half-way.
    page.wait_for_function(
        """[...document.querySelectorAll('.messages')].every(
            (box) => box.getAnimations({subtree: true}).every(
                (a) => a.playState !== 'running'
            )
        )"""
    )
    assert_no_axe_violations(page)


def heading(page):
    return page.get_by_role("heading", level=1).inner_text()


def test_an_agent_runs_the_bookings_screens(
    live_server, page, demo_commune, browser_errors
):
    admin_sign_in(page, live_server, "agent")
    care = ServiceSchedule.objects.get(period__activity__slug="accueil-periscolaire")

    # The schedules, then the care's month grid; close its first open day ahead.
    page.goto(live_server.url + "/admin/bookings/serviceschedule/")
    checks(page)
    click_and_wait(
        page,
        page.get_by_role(
            "link", name=re.compile("Voir le calendrier de .*p.riscolaire")
        ),
    )
    assert "Accueil périscolaire" in heading(page)
    checks(page)
    now = timezone.now()
    day = next(
        d
        for d in services.service_days(care)
        if d > timezone.localdate()
        and services.in_time(care, d, now)
        and not CalendarChange.objects.filter(schedule=care, date=d).exists()
    )
    page.goto(
        live_server.url + f"/admin/reservations/calendriers/{care.pk}/?mois={day:%Y-%m}"
    )
    page.locator('input[name="date"]').fill(day.isoformat())
    page.get_by_role("radio", name="Fermeture").check()
    page.get_by_role("textbox", name=re.compile("^Motif")).fill("grève")
    click_and_wait(page, page.get_by_role("button", name="Enregistrer le changement"))
    assert (
        f"Fermeture le {day:%d/%m/%Y} enregistrée" in page.locator("body").inner_text()
    )
    assert CalendarChange.objects.filter(
        schedule=care, date=day, removed_at=None
    ).exists()
    checks(page)

    # Tomorrow's headcounts.
    page.goto(live_server.url + "/admin/reservations/effectifs/")
    assert heading(page).startswith("Effectifs du jour")
    checks(page)

    # A family's bookings from its page, then the counter past the deadline.
    family = Family.objects.get(name="Famille Martin")
    page.goto(f"{live_server.url}/admin/family_portal/family/inspect/{family.pk}/")
    click_and_wait(page, page.get_by_role("link", name="Réservations des jours"))
    assert heading(page).startswith("Réservations de la famille")
    checks(page)
    click_and_wait(
        page,
        page.get_by_role(
            "link", name=re.compile("Réserver ou annuler pour Jade, Restauration")
        ),
    )
    checks(page)
    enrolment = family.enrolments.get(period__activity__slug="restauration-scolaire")
    lunch = enrolment.period.schedule.sessions.get()
    late = [
        d
        for d in services.service_days(enrolment.period.schedule)
        if d.month == timezone.localdate().month
        and not services.in_time(enrolment.period.schedule, d, now)
        and not Booking.objects.filter(
            enrolment=enrolment, date=d, status="booked"
        ).exists()
    ]
    if late:  # a day of this month past its deadline, not booked yet
        box = page.locator(f'input[name="jours"][value="{lunch.pk}:{late[-1]}"]')
        box.check()
        month_form = box.locator("xpath=ancestor::form")  # not the weekly pattern's
        click_and_wait(
            page, month_form.get_by_role("button", name="Voir les changements")
        )
        assert "Vérifiez avant d'enregistrer" in page.locator("main").inner_text()
        checks(page)
        click_and_wait(
            page, page.get_by_role("button", name="Confirmer et enregistrer")
        )
        assert "Enregistré." in page.locator("body").inner_text()
        event = Booking.objects.get(enrolment=enrolment, date=late[-1]).events.last()
        assert event.by_agent and event.after_deadline
        assert event.user.username == "agent"

    # The certificate waiting in the demo: refused with a reason.
    page.goto(live_server.url + "/admin/reservations/certificats/")
    checks(page)
    click_and_wait(page, page.get_by_role("link", name=re.compile("^Vérifier")).first)
    checks(page)
    click_and_wait(page, page.get_by_role("button", name="Refuser le certificat"))
    assert "Indiquez le motif du refus" in page.locator("main").inner_text()
    checks(page)
    # The browser reports the refused form's 400, asked for.
    browser_errors.remove(
        "console error: Failed to load resource: the server responded with a status "
        "of 400 (Bad Request)"
    )
    page.get_by_role("textbox", name=re.compile("^Motif du refus")).fill(
        "Le certificat ne porte pas de date."
    )
    click_and_wait(page, page.get_by_role("button", name="Refuser le certificat"))
    assert "Aucun certificat en attente." in page.locator("main").inner_text()
    # The bookings demo's certificate (the attendance demo's reports are not waiting).
    assert AbsenceReport.objects.filter(status="rejected").count() == 1
