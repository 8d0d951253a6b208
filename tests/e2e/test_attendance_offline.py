"""An animateur ticks the day's list on a tablet whose Wi-Fi drops: the ticks survive a
reload without network and are recorded once each when it comes back; a second tablet's
conflicting tick resolves to the later one on both screens; axe finds nothing."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from family_portal import enrolment as enrolments
from family_portal.attendance.demo import ANIMATEUR, EVENING
from family_portal.attendance.models import AttendanceSite, Mark, Tap
from family_portal.bookings import services as bookings
from family_portal.models import Child, Enrolment, Family
from home.models import CommuneSettings
from tests.e2e.accessibility import (
    assert_aria_references_resolve,
    assert_no_axe_violations,
)
from tests.e2e.test_journeys_parent import click_and_wait

BOOKED = 21


def a_list_of(count):
    """The demo's site and session today, with ``count`` children booked."""
    site = AttendanceSite.objects.get()
    session = site.schedules.get().sessions.get(name=EVENING)
    period = session.schedule.period
    today = timezone.localdate()
    family = Family.objects.create(name="Famille Nombreuse")
    for number in range(count):
        Child.objects.create(
            family=family,
            first_name=f"Enfant{number:02d}",
            last_name="Nombreuse",
            birth_date=datetime.date(period.start.year - 7, 1, 1 + number),
            school_level="CE1",
            school=site.schools,
        )
    commune = CommuneSettings.objects.get()
    for enrolment in enrolments.confirm(
        family,
        commune,
        period,
        list(family.children.all()),
        enrolments.QfChoice(Enrolment.QfSource.NONE),
    ):
        bookings.book(enrolment, session, [today], user=None, by_agent=True)
    return f"/pointage/{site.pk}/{session.pk}/{today.isoformat()}/"


def sign_in(page, url):
    page.goto(url)
    page.get_by_label("Identifiant").fill(ANIMATEUR["username"])
    page.get_by_label("Mot de passe").fill(ANIMATEUR["password"])
    click_and_wait(page, page.get_by_role("button", name="Se connecter"))
    expect(page.locator("[data-checkin]")).to_have_attribute("data-ready", "true")


def present_button(page, first_name):
    row = page.locator(
        "li.child", has=page.locator(".child__name", has_text=first_name)
    )
    return row.locator("button[data-value=present]")


def sync(page):
    return page.locator("[data-sync]")


def test_ticks_made_offline_survive_a_reload_and_are_recorded_once(
    live_server, page, browser, browser_context_args, demo_commune, browser_errors
):
    url = live_server.url + a_list_of(10)
    sign_in(page, url)
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "true")
    assert_no_axe_violations(page)
    assert_aria_references_resolve(page)

    # The billing demo ticked past days: only the marks made from here on count.
    earlier = list(Mark.objects.values_list("pk", flat=True))
    marks = Mark.objects.exclude(pk__in=earlier)
    page.context.set_offline(True)
    buttons = page.locator(
        "ul[data-list=booked] li.child:not([data-closed]) button[data-value=present]"
    )
    assert buttons.count() >= 20
    names = []
    for index in range(20):
        button = buttons.nth(index)
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        names.append(
            button.locator("xpath=ancestor::li").get_attribute("data-enrolment")
        )
    expect(sync(page)).to_have_attribute("data-pending", "20")
    expect(sync(page)).to_contain_text("Hors ligne : 20 pointage(s) gardé(s)")
    assert not marks.exists()

    page.reload()  # still offline: the service worker's copy, the taps from IndexedDB
    expect(page.locator("[data-checkin]")).to_have_attribute("data-ready", "true")
    pressed = page.locator(
        "ul[data-list=booked] button[data-value=present][aria-pressed=true]"
    )
    expect(pressed).to_have_count(20)
    expect(sync(page)).to_have_attribute("data-pending", "20")
    assert not Tap.objects.exists()

    page.context.set_offline(False)
    expect(sync(page)).to_have_attribute("data-pending", "0", timeout=15_000)
    expect(sync(page)).to_contain_text("Tout est envoyé")
    assert Tap.objects.count() == 20
    assert set(Tap.objects.values_list("outcome", flat=True)) == {"applied"}
    assert sorted(
        str(pk)
        for pk in marks.filter(status="present").values_list("enrolment_id", flat=True)
    ) == sorted(names)
    assert_no_axe_violations(page)

    # Conflict: the first tablet, offline again, marks the first child absent; then a
    # second tablet, online, marks him absent too; then the first tablet marks him
    # present and comes back online. Its earlier "absent" loses to the second tablet's,
    # its later "present" wins, and both screens show "present".
    first = page.locator("ul[data-list=booked] li.child").first
    name = first.locator(".child__name").inner_text()
    other_context = browser.new_context(**browser_context_args)
    other = other_context.new_page()
    try:
        sign_in(other, url)
        page.context.set_offline(True)
        first.locator("button[data-value=absent]").click()  # earlier, kept offline
        other_row = other.locator(
            "li.child", has=other.locator(".child__name", has_text=name)
        )
        other_row.locator("button[data-value=absent]").click()  # the later tap
        expect(sync(other)).to_contain_text("Tout est envoyé")
        first.locator("button[data-value=present]").click()  # later still, offline
        page.context.set_offline(False)
        expect(sync(page)).to_have_attribute("data-pending", "0", timeout=15_000)
        for screen in (page, other):
            row = screen.locator(
                "li.child", has=screen.locator(".child__name", has_text=name)
            )
            expect(row.locator("button[data-value=present]")).to_have_attribute(
                "aria-pressed", "true", timeout=15_000
            )
            expect(row.locator("button[data-value=absent]")).to_have_attribute(
                "aria-pressed", "false"
            )
        mark = Mark.objects.get(enrolment_id=first.get_attribute("data-enrolment"))
        assert mark.status == "present"
        outcomes = list(
            Tap.objects.filter(mark=mark)
            .order_by("tapped_at")
            .values_list("value", "outcome")
        )
        # The first tablet's offline "absent" arrived last but was made first: it lost.
        assert outcomes == [
            ("present", "applied"),  # one of the 20
            ("absent", "superseded"),
            ("absent", "applied"),
            ("present", "applied"),
        ]
    finally:
        other_context.close()
    # Offline on purpose, a request the page makes (its sync, its 5-second state poll)
    # fails and Chromium logs it, depending on timing; any other error still fails.
    browser_errors[:] = [
        problem
        for problem in browser_errors
        if problem
        != "console error: Failed to load resource: net::ERR_INTERNET_DISCONNECTED"
        and problem != "console error: Failed to load resource: net::ERR_FAILED"
    ]
