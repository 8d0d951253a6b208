"""The agents' side of bookings: the month grid with closures and extra days (and the
families told), headcounts and their exports, a family's bookings, booking at the
counter past the deadline (audited), the certificates to check; and who may see them."""

import csv
import datetime
import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from family_portal.bookings import closures, headcounts, services
from family_portal.bookings.models import (
    AbsenceReport,
    Booking,
    BookingEvent,
    CalendarChange,
)
from tests.factories import UserFactory
from tests.family_portal.backoffice_support import PDF

from .test_views import key, late_day, open_days

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def lea(enrolments):
    return enrolments["Léa"]


@pytest.fixture
def tom(enrolments):
    return enrolments["Tom"]


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def grid_url(schedule, day=None):
    url = reverse("bookings_backoffice:schedule_calendar", args=[schedule.pk])
    return url + (f"?mois={day:%Y-%m}" if day else "")


# --- who may see what ------------------------------------------------------------------


def agent_urls(schedule, lea, report):
    family = lea.family
    return [
        reverse("bookings_backoffice:headcounts"),
        reverse("bookings_backoffice:headcounts") + "?du=2026-01-05&format=csv",
        reverse("bookings_backoffice:family_bookings", args=[family.pk]),
        reverse("bookings_backoffice:counter_month", args=[lea.pk]),
        reverse("bookings_backoffice:certificate_queue"),
        reverse("bookings_backoffice:certificate_check", args=[report.pk]),
        reverse("bookings_backoffice:certificate_file", args=[report.pk]),
    ]


@pytest.fixture
def report(lea, parent):
    return services.report_absence(
        lea.child,
        timezone.localdate(),
        timezone.localdate(),
        user=parent,
        certificate=SimpleUploadedFile("certificat.pdf", PDF),
        content_type="application/pdf",
    )


def test_a_parent_reaches_none_of_the_agents_screens(
    client, parent, schedule, lea, report
):
    client.force_login(parent)
    for url in [*agent_urls(schedule, lea, report), grid_url(schedule)]:
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/login/"), url
        assert "Léa" not in response.content.decode(), url
    response = client.post(
        reverse("bookings_backoffice:certificate_check", args=[report.pk]),
        {"action": "accept"},
    )
    assert response.status_code in (302, 403)
    report.refresh_from_db()
    assert report.status == AbsenceReport.Status.PENDING


def test_an_editor_sees_the_grid_but_no_family_and_cannot_close_a_day(
    client, editor, schedule, lea, report
):
    client.force_login(editor)
    for url in agent_urls(schedule, lea, report):
        response = client.get(url)
        # Wagtail sends a refused admin user back to the admin's home page.
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response["Location"] == "/admin/", url
    assert client.get(grid_url(schedule)).status_code == 200
    day = open_days(schedule)[0]
    response = client.post(
        grid_url(schedule),
        {"ajouter": "1", "date": day, "kind": "closure", "reason": "x"},
    )
    assert response.status_code in (302, 403)
    assert not CalendarChange.objects.exists()


def test_a_staff_user_without_the_bookings_permissions_is_refused(
    client, schedule, lea, report
):
    client.force_login(UserFactory(username="stagiaire", is_staff=True))
    for url in [*agent_urls(schedule, lea, report), grid_url(schedule)]:
        assert client.get(url).status_code in (302, 403), url


def test_the_agent_menu_lists_the_bookings_screens(agent_client, schedule):
    body = agent_client.get("/admin/").content.decode()
    assert "R\\u00e9servations" in body and "Calendriers des services" in body
    for name in ("headcounts", "certificate_queue"):
        assert reverse(f"bookings_backoffice:{name}") in body


# --- the schedule in the admin, and its month grid --------------------------------------


def test_the_schedule_is_edited_with_weekday_boxes_and_a_plain_deadline(
    agent_client, schedule
):
    url = reverse("bookings_serviceschedule_modeladmin_edit", args=[schedule.pk])
    response = agent_client.get(url)
    assert response.status_code == 200
    body = text(response)
    assert 'type="checkbox" name="weekdays" value="2"' in body
    session = schedule.sessions.get()
    data = {
        "period": schedule.period_id,
        "weekdays": ["0", "1", "3", "4", "2"],
        "school_term": "term",
        "site_source": "school",
        "deadline_days": "1",
        "deadline_at": "10:00",
        "deadline_count": "calendar_days",
        "deadline_holidays": "metropole",
        "sessions-TOTAL_FORMS": "1",
        "sessions-INITIAL_FORMS": "1",
        "sessions-MIN_NUM_FORMS": "1",
        "sessions-MAX_NUM_FORMS": "1000",
        "sessions-0-id": session.pk,
        "sessions-0-ORDER": "1",
        "sessions-0-name": "Déjeuner",
        "sessions-0-starts": "11:45",
        "sessions-0-ends": "13:30",
        "sessions-0-capacity": "",
    }
    response = agent_client.post(url, data)
    assert response.status_code == 302, text(response)[:3000]
    schedule.refresh_from_db()
    assert sorted(schedule.weekdays) == [0, 1, 2, 3, 4]
    assert schedule.deadline == {
        "days_before": 1,
        "at": "10:00",
        "count": "calendar_days",
        "holidays": "metropole",
    }
    assert schedule.site_source == "school"
    data["weekdays"] = []
    response = agent_client.post(url, data)
    assert response.status_code == 200
    assert "Cochez au moins un jour d'accueil." in text(response)


def test_the_grid_shows_each_day_its_reason_and_the_bookings(
    agent_client, schedule, lea, tom, lunch
):
    day = open_days(schedule)[0]
    services.book(lea, lunch, [day], user=None)
    services.book(tom, lunch, [day], user=None)
    response = agent_client.get(grid_url(schedule, day))
    assert response.status_code == 200
    body = text(response)
    assert "Déjeuner : 2 enfants" in body
    assert "Pas d'accueil le mercredi" in body
    assert body.count("<tr>") >= 5  # the weeks of the month
    assert "Fermer un jour ou ajouter un jour" in body


def test_an_agent_closes_a_booked_day_and_the_families_are_told(
    agent_client,
    agent,
    schedule,
    lea,
    tom,
    lunch,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    day = open_days(schedule)[0]
    services.book(lea, lunch, [day], user=None)
    services.book(tom, lunch, [day], user=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            grid_url(schedule, day),
            {
                "ajouter": "1",
                "date": day.isoformat(),
                "kind": "closure",
                "reason": "grève",
            },
        )
    assert response.status_code == 302
    change = CalendarChange.objects.get()
    assert (change.kind, change.reason, change.created_by) == (
        "closure",
        "grève",
        agent,
    )
    assert change.families_told == 1
    assert day not in services.service_days(schedule)
    # One e-mail for the family, naming both children; the bookings are kept.
    assert len(mailoutbox) == 1
    assert "Léa" in mailoutbox[0].body and "Tom" in mailoutbox[0].body
    assert "grève" in mailoutbox[0].body
    assert Booking.objects.filter(date=day, status="booked").count() == 2
    follow = text(agent_client.get(response["Location"]))
    assert "1 famille(s) prévenue(s)" in follow
    # Taking it back reopens the day, tells the family again, keeps the trail.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(grid_url(schedule, day), {"retirer": change.pk})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.removed_by == agent and change.removed_at is not None
    assert day in services.service_days(schedule)
    assert len(mailoutbox) == 1 and "levée" in mailoutbox[0].body
    body = text(agent_client.get(grid_url(schedule, day)))
    assert "retiré par" in body


def test_closing_a_day_that_does_not_run_or_twice_is_refused_in_french(
    agent_client, agent, schedule
):
    day = open_days(schedule)[0]
    wednesday = day + datetime.timedelta(days=(2 - day.weekday()) % 7)
    response = agent_client.post(
        grid_url(schedule, day),
        {"ajouter": "1", "date": wednesday, "kind": "closure", "reason": "grève"},
    )
    assert response.status_code == 200
    assert "Le service ne fonctionne déjà pas" in text(response)
    closures.add_change(schedule, day, "closure", "grève", agent=agent)
    with pytest.raises(services.BookingError, match="a déjà un changement"):
        closures.add_change(schedule, day, "closure", "formation", agent=agent)
    with pytest.raises(services.BookingError, match="motif"):
        closures.add_change(schedule, wednesday, "extra", "  ", agent=agent)
    outside = schedule.period.end + datetime.timedelta(days=3)
    with pytest.raises(services.BookingError, match="pas dans la période"):
        closures.add_change(schedule, outside, "extra", "sortie", agent=agent)


def test_an_extra_day_opens_for_bookings(agent_client, schedule, lea, lunch):
    day = open_days(schedule)[0]
    wednesday = day + datetime.timedelta(days=(2 - day.weekday()) % 7)
    response = agent_client.post(
        grid_url(schedule, day),
        {"ajouter": "1", "date": wednesday, "kind": "extra", "reason": "rattrapage"},
    )
    assert response.status_code == 302
    assert services.book(lea, lunch, [wednesday], user=None).done == [wednesday]


# --- headcounts --------------------------------------------------------------------------


def headcount_url(day, fmt=""):
    url = reverse("bookings_backoffice:headcounts") + f"?du={day.isoformat()}"
    return url + (f"&format={fmt}" if fmt else "")


@pytest.fixture
def busy_day(schedule, lea, tom, lunch, agent):
    """Léa (École des Tilleuls) and Tom (no school) booked; Léa reported absent."""
    schedule.site_source = "school"
    schedule.save()
    lea.child.school = "École des Tilleuls"
    lea.child.save()
    tom.child.school = ""
    tom.child.save()
    day = open_days(schedule)[0]
    services.book(lea, lunch, [day], user=None)
    services.book(tom, lunch, [day], user=None)
    services.report_absence(lea.child, day, day, user=None)
    return day


def test_the_headcount_counts_per_school_and_deducts_absences(busy_day, schedule):
    result = headcounts.headcounts(busy_day, busy_day)
    lines = {(line.site, line.session): line for line in result.lines}
    tilleuls = lines[("École des Tilleuls", "Déjeuner")]
    assert (tilleuls.booked, tilleuls.absent, tilleuls.expected) == (1, 1, 0)
    unknown = lines[(headcounts.NO_SCHOOL, "Déjeuner")]
    assert (unknown.booked, unknown.absent, unknown.expected) == (1, 0, 1)
    # A cancelled booking does not count; a closed day goes apart.
    schedule.site_source = "place"
    schedule.save()
    result = headcounts.headcounts(busy_day, busy_day)
    assert [(line.site, line.booked) for line in result.lines] == [
        (schedule.period.activity.place or schedule.period.activity.title, 2)
    ]


def test_a_closed_day_is_listed_apart(busy_day, schedule, agent):
    closures.add_change(schedule, busy_day, "closure", "grève", agent=agent)
    result = headcounts.headcounts(busy_day, busy_day)
    assert result.lines == []
    assert [(c.reason, c.booked) for c in result.closed] == [("Fermé : grève", 2)]


def test_the_headcount_screen_and_its_exports(agent_client, busy_day, schedule):
    response = agent_client.get(headcount_url(busy_day))
    assert response.status_code == 200
    body = text(response)
    assert "École des Tilleuls" in body and "Absences signalées" in body
    assert "Régimes" not in body  # no child has a diet

    response = agent_client.get(headcount_url(busy_day, "csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert f"effectifs-{busy_day:%Y-%m-%d}.csv" in response["Content-Disposition"]
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content[1:]), delimiter=";"))
    assert rows[0] == headcounts.COLUMNS
    assert sorted(rows[1:]) == sorted(
        [
            [
                f"{busy_day:%d/%m/%Y}",
                "Restauration scolaire",
                "Déjeuner (11:45)",
                "École des Tilleuls",
                "1",
                "1",
                "0",
            ],
            [
                f"{busy_day:%d/%m/%Y}",
                "Restauration scolaire",
                "Déjeuner (11:45)",
                headcounts.NO_SCHOOL,
                "1",
                "0",
                "1",
            ],
        ]
    )

    response = agent_client.get(headcount_url(busy_day, "xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == headcounts.COLUMNS
    assert {row[3]: row[4:] for row in values[1:]} == {
        "École des Tilleuls": (1, 1, 0),
        headcounts.NO_SCHOOL: (1, 0, 1),
    }
    assert values[1][0].date() == busy_day


def test_the_headcount_tells_bad_dates_in_french(agent_client):
    response = agent_client.get(
        reverse("bookings_backoffice:headcounts") + "?du=2026-03-10&au=2026-03-01"
    )
    assert response.status_code == 400
    assert "La date de fin doit suivre la date de début." in text(response)
    response = agent_client.get(
        reverse("bookings_backoffice:headcounts") + "?du=2026-03-01&au=2026-06-01"
    )
    assert "31 jours au plus" in text(response)


# --- a family's bookings, and the counter -------------------------------------------------


def test_the_family_page_links_to_its_bookings(agent_client, lea):
    family = lea.family
    body = agent_client.get(
        reverse("family_portal_family_modeladmin_inspect", args=[family.pk])
    ).content.decode()
    assert reverse("bookings_backoffice:family_bookings", args=[family.pk]) in body


def test_the_counter_books_past_the_deadline_and_the_trail_names_the_agent(
    agent_client, agent, schedule, lea, tom, lunch, parent
):
    day = late_day(schedule)
    future = open_days(schedule)[0]
    services.book(lea, lunch, [future], user=parent)
    url = reverse("bookings_backoffice:counter_month", args=[lea.pk])
    page = text(agent_client.get(url, {"mois": f"{day:%Y-%m}"}))
    assert "(date limite passée)" in page
    assert f'name="jours" value="{key(lunch, day)}"' in page  # editable for an agent
    data = {
        "mois": f"{day:%Y-%m}",
        "affiches": [key(lunch, day)],
        "jours": [key(lunch, day)],
        "aussi": [tom.pk],
        "etape": "apercu",
    }
    preview = agent_client.post(url, data)
    assert preview.status_code == 200
    assert "Vérifiez avant d'enregistrer" in text(preview)
    assert not Booking.objects.filter(date=day).exists()
    data["etape"] = "confirmer"
    response = agent_client.post(url, data)
    assert response.status_code == 302
    for enrolment in (lea, tom):
        booking = Booking.objects.get(enrolment=enrolment, date=day)
        event = booking.events.get()
        assert (event.user, event.by_agent, event.after_deadline) == (
            agent,
            True,
            True,
        )
    # The parent could not have done it.
    assert services.book(
        tom, lunch, [day - datetime.timedelta(days=7)], user=parent
    ).refused
    assert services.cancel(lea, lunch, [day], user=parent).refused

    page = text(
        agent_client.get(
            reverse("bookings_backoffice:family_bookings", args=[lea.family.pk])
        )
    )
    assert "(après la date limite)" in page
    assert "Karim Benali (agent, au guichet)" in page
    assert "(famille, en ligne)" in page


def test_the_counter_cancels_past_the_deadline_audited(
    agent_client, agent, schedule, lea, lunch
):
    day = late_day(schedule)
    services.book(lea, lunch, [day], user=agent, by_agent=True)
    url = reverse("bookings_backoffice:counter_month", args=[lea.pk])
    response = agent_client.post(
        url,
        {
            "mois": f"{day:%Y-%m}",
            "affiches": [key(lunch, day)],
            "etape": "confirmer",
        },
    )
    assert response.status_code == 302
    booking = Booking.objects.get(enrolment=lea, date=day)
    assert booking.status == "cancelled"
    event = booking.events.latest("pk")
    assert (event.action, event.user, event.after_deadline) == (
        "cancelled",
        agent,
        True,
    )


def test_the_counter_of_an_unknown_or_inactive_enrolment_is_404(agent_client, lea):
    lea.status = "cancelled"
    lea.save()
    url = reverse("bookings_backoffice:counter_month", args=[lea.pk])
    assert agent_client.get(url).status_code == 404
    url = reverse("bookings_backoffice:counter_month", args=[999999])
    assert agent_client.get(url).status_code == 404


# --- certificates --------------------------------------------------------------------------


def test_an_agent_accepts_a_certificate(agent_client, agent, report):
    queue = text(agent_client.get(reverse("bookings_backoffice:certificate_queue")))
    assert "Léa" in queue
    url = reverse("bookings_backoffice:certificate_check", args=[report.pk])
    page = agent_client.get(url)
    assert page.status_code == 200
    assert reverse("bookings_backoffice:certificate_file", args=[report.pk]) in text(
        page
    )
    file = agent_client.get(
        reverse("bookings_backoffice:certificate_file", args=[report.pk])
    )
    assert file["Content-Type"] == "application/pdf"
    assert b"".join(file.streaming_content) == PDF
    assert agent_client.post(url, {"action": "accept"}).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.checked_by) == ("justified", agent)
    queue = text(agent_client.get(reverse("bookings_backoffice:certificate_queue")))
    assert "Aucun certificat en attente." in queue


def test_an_agent_rejects_a_certificate_with_a_reason(
    agent_client, agent, report, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("bookings_backoffice:certificate_check", args=[report.pk])
    response = agent_client.post(url, {"action": "reject", "reason": ""})
    assert response.status_code == 400
    assert "Indiquez le motif du refus" in text(response)
    report.refresh_from_db()
    assert report.status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            url, {"action": "reject", "reason": "Certificat illisible"}
        )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.rejection_reason) == (
        "rejected",
        "Certificat illisible",
    )
    assert len(mailoutbox) == 1 and "Certificat illisible" in mailoutbox[0].body
    # Checked once only: a second decision is refused in French.
    response = agent_client.post(url, {"action": "accept"}, follow=True)
    assert "n'attend pas de vérification" in text(response)
    report.refresh_from_db()
    assert report.status == "rejected"


def test_the_trail_is_one_event_per_day_for_a_whole_period(lea, tom, lunch, schedule):
    days = services.service_days(schedule)
    today = timezone.localdate()
    days = [day for day in days if day > today + datetime.timedelta(days=7)]
    outcome = services.book(lea, lunch, days, user=None, by_agent=True)
    assert outcome.done == days
    assert BookingEvent.objects.filter(booking__enrolment=lea).count() == len(days)
    services.cancel(lea, lunch, days[:5], user=None, by_agent=True)
    assert services.book(lea, lunch, days, user=None).done == days[:5]
    assert BookingEvent.objects.filter(booking__enrolment=lea).count() == len(days) + 10
