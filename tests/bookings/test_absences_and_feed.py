"""A sick child (with or without a medical certificate, checked like the QF documents),
an agent's acceptance that makes the absence justified, and the family's iCal feed at a
secret address the parent can renew."""

import datetime
import html
import re

import icalendar
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from family_portal.bookings import services
from family_portal.bookings.models import AbsenceReport, CalendarFeed
from tests.family_portal.backoffice_support import PDF

ABSENCE_URL = "family_portal:bookings:absence"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def text(response):
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def signed_in(client, parent):
    client.force_login(parent)
    return client


@pytest.fixture
def lea_child(giraud_family):
    return giraud_family.children.get(first_name="Léa")


def test_a_sick_day_without_certificate_is_reported(signed_in, lea_child, parent):
    today = timezone.localdate()
    response = signed_in.post(
        reverse(ABSENCE_URL),
        {"enfant": lea_child.pk, "premier_jour": today.isoformat()},
    )
    assert response.status_code == 302
    report = AbsenceReport.objects.get()
    assert (report.child, report.first_day, report.last_day) == (
        lea_child,
        today,
        today,
    )
    assert report.status == AbsenceReport.Status.REPORTED
    assert report.reported_by == parent and not report.certificate
    body = text(signed_in.get(response["Location"]))
    assert "L'absence de Léa" in body and "est signalée" in body
    assert "Signalée" in body


def test_several_days_with_a_certificate_wait_for_an_agent(signed_in, lea_child):
    first = timezone.localdate() - datetime.timedelta(days=2)
    upload = SimpleUploadedFile("certificat.pdf", PDF, content_type="application/pdf")
    response = signed_in.post(
        reverse(ABSENCE_URL),
        {
            "enfant": lea_child.pk,
            "premier_jour": first.isoformat(),
            "dernier_jour": (first + datetime.timedelta(days=3)).isoformat(),
            "certificat": upload,
        },
    )
    assert response.status_code == 302
    report = AbsenceReport.objects.get()
    assert report.status == AbsenceReport.Status.PENDING
    assert report.last_day == first + datetime.timedelta(days=3)
    assert report.certificate.name.endswith(".pdf")
    assert report.certificate.read() == PDF
    assert "Le certificat médical sera vérifié" in text(
        signed_in.get(response["Location"])
    )


def test_a_certificate_named_pdf_holding_a_png_keeps_its_real_type(
    signed_in, lea_child
):
    upload = SimpleUploadedFile("scan.pdf", PNG, content_type="application/pdf")
    signed_in.post(
        reverse(ABSENCE_URL),
        {
            "enfant": lea_child.pk,
            "premier_jour": timezone.localdate().isoformat(),
            "certificat": upload,
        },
    )
    assert AbsenceReport.objects.get().certificate.name.endswith(".png")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"MZ\x90\0 not a document", "Ce fichier n'est ni un PDF, ni une image"),
        (b"", "est vide"),
        (b"%PDF-" + b"0" * (5 * 1024 * 1024), "la limite est de 5 Mo"),
    ],
)
def test_a_bad_certificate_is_refused_with_the_qf_documents_message(
    signed_in, lea_child, content, message
):
    upload = SimpleUploadedFile("certificat.pdf", content)
    day = timezone.localdate().isoformat()
    response = signed_in.post(
        reverse(ABSENCE_URL),
        {"enfant": lea_child.pk, "premier_jour": day, "certificat": upload},
    )
    assert response.status_code == 400
    body = text(response)
    assert message in body
    # What was typed is kept.
    assert f'value="{day}"' in body
    assert not AbsenceReport.objects.exists()


def test_absence_dates_are_checked(signed_in, lea_child):
    today = timezone.localdate()
    response = signed_in.post(
        reverse(ABSENCE_URL),
        {
            "enfant": lea_child.pk,
            "premier_jour": today.isoformat(),
            "dernier_jour": (today - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert "Le dernier jour doit suivre le premier jour." in text(response)
    response = signed_in.post(
        reverse(ABSENCE_URL),
        {
            "enfant": lea_child.pk,
            "premier_jour": (today - datetime.timedelta(days=60)).isoformat(),
        },
    )
    assert "ne peut plus être signalée en ligne" in text(response)
    assert not AbsenceReport.objects.exists()


def test_another_familys_child_cannot_be_reported(signed_in, db):
    from tests.family_portal.factories import ChildFactory, FamilyFactory

    stranger = ChildFactory(family=FamilyFactory(name="Famille Roux"))
    response = signed_in.post(
        reverse(ABSENCE_URL),
        {"enfant": stranger.pk, "premier_jour": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert not AbsenceReport.objects.exists()


def pending_report(child, parent):
    upload = SimpleUploadedFile("certificat.pdf", PDF)
    today = timezone.localdate()
    return services.report_absence(
        child,
        today,
        today,
        user=parent,
        certificate=upload,
        content_type="application/pdf",
    )


def test_an_agent_accepts_the_certificate_which_justifies_the_absence(
    lea_child, parent, agent
):
    report = pending_report(lea_child, parent)
    services.accept_certificate(report, agent)
    report.refresh_from_db()
    assert report.status == AbsenceReport.Status.JUSTIFIED
    assert report.checked_by == agent and report.checked_at is not None
    with pytest.raises(services.BookingError, match="n'attend pas de vérification"):
        services.accept_certificate(report, agent)


def test_an_agent_rejects_a_certificate_with_a_reason_told_to_the_family(
    lea_child, parent, agent, django_capture_on_commit_callbacks
):
    report = pending_report(lea_child, parent)
    with pytest.raises(services.BookingError, match="motif"):
        services.reject_certificate(report, agent, "  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_certificate(report, agent, "Certificat illisible.")
    report.refresh_from_db()
    assert report.status == AbsenceReport.Status.REJECTED
    assert report.rejection_reason == "Certificat illisible."
    [message] = mail.outbox
    assert "Léa" in message.subject and "Certificat illisible." in message.body


def test_an_absence_without_certificate_has_nothing_to_accept(lea_child, parent, agent):
    today = timezone.localdate()
    report = services.report_absence(lea_child, today, today, user=parent)
    with pytest.raises(services.BookingError):
        services.accept_certificate(report, agent)


# --- the iCal feed ---------------------------------------------------------------------


def feed_url(signed_in):
    page = text(signed_in.get(reverse("family_portal:bookings:feed_settings")))
    return re.search(r'id="feed-url" value="http://testserver([^"]+)"', page).group(1)


def test_the_feed_lists_the_booked_days_with_first_names_only(
    signed_in, client, enrolments, lunch, schedule, giraud_family
):
    days = [
        day
        for day in services.service_days(schedule)
        if day >= timezone.localdate() + datetime.timedelta(days=14)
    ][:2]
    services.book(enrolments["Léa"], lunch, days, user=None)
    services.book(enrolments["Tom"], lunch, days[:1], user=None)
    services.cancel(enrolments["Tom"], lunch, days[:1], user=None)
    url = feed_url(signed_in)
    client.logout()  # a phone's calendar has no session
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2  # Tom's cancelled day is not there
    first = events[0]
    assert str(first["summary"]) == "Léa : Restauration scolaire (Déjeuner)"
    start = first.decoded("dtstart")
    assert start == datetime.datetime.combine(
        days[0], datetime.time(11, 45), tzinfo=start.tzinfo
    )
    assert str(start.tzinfo) == "Europe/Paris"
    assert first.decoded("dtend").time() == datetime.time(13, 30)
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    body = response.content.decode()
    child = giraud_family.children.get(first_name="Léa")
    for private in (child.last_name, giraud_family.name, giraud_family.street):
        assert private not in body


def test_renewing_the_address_invalidates_the_old_one(signed_in, client, giraud_family):
    old = feed_url(signed_in)
    assert client.get(old).status_code == 200
    response = signed_in.post(reverse("family_portal:bookings:feed_settings"))
    assert "l'ancienne ne fonctionne plus" in text(response)
    new = feed_url(signed_in)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert CalendarFeed.objects.get(family=giraud_family).token in new


def test_a_wrong_token_is_not_found(client, db):
    url = reverse("family_portal:bookings:feed", args=["pas-un-jeton"])
    assert client.get(url).status_code == 404
