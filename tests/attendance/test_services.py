"""Recording taps (idempotent, the later tap wins per field), the day's list, closures
and months, and what billing reads."""

import datetime

import pytest

from family_portal.attendance import closing
from family_portal.attendance.models import (
    AttendanceSite,
    Mark,
    MonthClosing,
    SessionClosure,
    Tap,
)
from family_portal.attendance.services import day_list, presences_for, sites_for
from family_portal.attendance.taps import TapError, record_taps
from family_portal.bookings.models import AbsenceReport, Booking, BookingEvent
from tests.attendance.conftest import tap

pytestmark = pytest.mark.django_db
SECOND = datetime.timedelta(seconds=1)


def test_a_tap_sent_twice_is_recorded_once(
    site, animateur, enrolments, lunch, day, now, booked
):
    sent = tap(site, enrolments["Léa"], lunch, day, at=now)
    first = record_taps(animateur, [sent], now=now)
    again = record_taps(animateur, [sent, sent], now=now)
    assert [r.outcome for r in first] == ["applied"]
    assert [r.outcome for r in again] == ["duplicate", "duplicate"]
    assert Tap.objects.count() == 1
    mark = Mark.objects.get()
    assert (mark.status, mark.status_at, mark.site) == ("present", now, site)


def test_the_later_tap_wins_whatever_order_they_arrive_in(
    site, animateur, enrolments, lunch, day, now, booked
):
    lea = enrolments["Léa"]
    later = tap(site, lea, lunch, day, value="absent", at=now)
    earlier = tap(site, lea, lunch, day, value="present", at=now - 5 * SECOND)
    assert record_taps(animateur, [later], now=now)[0].outcome == "applied"
    assert record_taps(animateur, [earlier], now=now)[0].outcome == "superseded"
    assert Mark.objects.get().status == "absent"
    # Each field on its own: a departure tapped elsewhere does not undo the status.
    record_taps(
        animateur,
        [
            tap(
                site,
                lea,
                lunch,
                day,
                field="departure",
                value="13:40",
                at=now - 9 * SECOND,
            )
        ],
        now=now,
    )
    mark = Mark.objects.get()
    assert (mark.status, mark.departure) == ("absent", datetime.time(13, 40))
    assert list(Tap.objects.values_list("outcome", flat=True)) == [
        "applied",
        "superseded",
        "applied",
    ]


def test_a_device_clock_ahead_counts_as_the_time_of_receipt(
    site, animateur, enrolments, lunch, day, now, booked
):
    ahead = tap(
        site, enrolments["Léa"], lunch, day, at=now + datetime.timedelta(hours=3)
    )
    record_taps(animateur, [ahead], now=now)
    assert Mark.objects.get().status_at == now
    fixed = tap(site, enrolments["Léa"], lunch, day, value="absent", at=now + SECOND)
    record_taps(animateur, [fixed], now=now + 2 * SECOND)
    assert Mark.objects.get().status == "absent"


def test_taps_an_animateur_may_not_make_are_refused_and_kept(
    site, animateur, enrolments, lunch, day, now, booked
):
    other = AttendanceSite.objects.create(name="Centre de loisirs")
    other.schedules.add(lunch.schedule)
    lea = enrolments["Léa"]
    results = record_taps(
        animateur,
        [
            tap(other, lea, lunch, day, at=now),
            tap(site, lea, lunch, day + datetime.timedelta(days=1), at=now),
            tap(site, lea, lunch, day, value="absent_justified", at=now),
            tap(site, lea, lunch, day, field="arrival", value="25:00", at=now),
            {"id": "x"},
        ],
        now=now,
    )
    assert [r.outcome for r in results] == [
        "refused",
        "refused",
        "refused",
        "invalid",
        "invalid",
    ]
    assert "pas affecté" in results[0].message
    assert "jour à venir" in results[1].message
    assert "certificat médical accepté" in results[2].message
    assert "25:00" in results[3].message
    assert not Mark.objects.exists()
    assert Tap.objects.filter(outcome="refused").count() == 3
    with pytest.raises(TapError):
        record_taps(animateur, {"not": "a list"}, now=now)


def test_an_absence_is_justified_once_the_certificate_is_accepted(
    site, animateur, agent, enrolments, lunch, day, now, booked
):
    lea = enrolments["Léa"]
    report = AbsenceReport.objects.create(
        child=lea.child, first_day=day, last_day=day, status="pending"
    )
    assert day_list(site, lunch, day, now).booked[0].absence == report
    justified = tap(site, lea, lunch, day, value="absent_justified", at=now)
    assert record_taps(animateur, [justified], now=now)[0].outcome == "refused"
    report.status = AbsenceReport.Status.JUSTIFIED
    report.save()
    justified["id"] = tap(site, lea, lunch, day)["id"]
    assert record_taps(animateur, [justified], now=now)[0].outcome == "applied"
    assert Mark.objects.get().status == "absent_justified"


def test_the_list_shows_booked_children_first_then_those_who_came_without_booking(
    site, animateur, enrolments, lunch, day, now
):
    lea, tom = enrolments["Léa"], enrolments["Tom"]
    Booking.objects.create(
        enrolment=lea, session=lunch, date=day, status="booked", booked_at=now
    )
    listed = day_list(site, lunch, day, now)
    assert [r.first_name for r in listed.booked] == ["Léa"]
    assert [r.first_name for r in listed.addable] == ["Tom"]
    record_taps(animateur, [tap(site, tom, lunch, day, at=now)], now=now)
    listed = day_list(site, lunch, day, now)
    assert [r.first_name for r in listed.unbooked] == ["Tom"]
    assert listed.addable == []
    assert listed.counts() == {"booked": 1, "present": 1, "absent": 0, "unchecked": 1}


def test_a_site_with_schools_lists_only_their_pupils(site, enrolments, lunch, day, now):
    lea = enrolments["Léa"]
    lea.child.school = "École des Tilleuls"
    lea.child.save()
    site.schools = "école des tilleuls\n"
    site.save()
    listed = day_list(site, lunch, day, now)
    assert [r.first_name for r in listed.addable] == ["Léa"]


def test_a_late_pick_up_shows(site, animateur, enrolments, lunch, day, now, booked):
    lea = enrolments["Léa"]
    record_taps(animateur, [tap(site, lea, lunch, day, at=now)], now=now)
    after_end = now.replace(hour=13, minute=45)
    assert day_list(site, lunch, day, now).booked[0].late is False
    assert day_list(site, lunch, day, after_end).booked[0].late is True  # still there
    record_taps(
        animateur,
        [tap(site, lea, lunch, day, field="departure", value="13:20", at=after_end)],
        now=after_end,
    )
    assert day_list(site, lunch, day, after_end).booked[0].late is False


def test_closing_the_session_closes_every_booking_of_the_list(
    site, animateur, enrolments, lunch, day, now, booked
):
    with pytest.raises(closing.ClosingError):
        closing.close_session(site, lunch, day, user=animateur, reason=" ")
    closure = closing.close_session(site, lunch, day, user=animateur, reason="Grève")
    assert closure.bookings_closed == 2
    assert set(Booking.objects.values_list("status", flat=True)) == {"closed"}
    assert BookingEvent.objects.filter(action="closed", user=animateur).count() == 2
    assert day_list(site, lunch, day, now).closed
    refused = record_taps(
        animateur, [tap(site, booked["Léa"].enrolment, lunch, day, at=now)], now=now
    )
    assert "n'a pas eu lieu" in refused[0].message
    month = presences_for(lunch.schedule, day)
    assert {p.status for p in month.presences} == {"closed"}


def test_after_closing_the_month_a_change_is_a_correction_with_a_reason(
    site, animateur, agent, enrolments, lunch, day, now, booked
):
    lea = enrolments["Léa"]
    record_taps(
        animateur, [tap(site, lea, lunch, day, value="absent", at=now)], now=now
    )
    with pytest.raises(closing.ClosingError, match="pas terminé"):
        closing.close_month(lunch.schedule, day, user=agent, now=now)
    later = now + datetime.timedelta(days=40)
    closing.close_month(lunch.schedule, day, user=agent, now=later)
    with pytest.raises(closing.ClosingError, match="déjà clôturé"):
        closing.close_month(lunch.schedule, day, user=agent, now=later)
    present = tap(site, lea, lunch, day, value="present", at=later)
    assert "service famille" in record_taps(animateur, [present], now=later)[0].message
    present["id"] = tap(site, lea, lunch, day)["id"]
    assert "motif" in record_taps(agent, [present], now=later)[0].message
    present["id"] = tap(site, lea, lunch, day)["id"]
    result = record_taps(agent, [present], reason="Oubli de pointage", now=later)[0]
    assert result.outcome == "applied"
    mark = Mark.objects.get()
    assert (mark.status, mark.corrected) == ("present", True)
    kept = Tap.objects.get(tap_id=present["id"])
    assert (kept.correction, kept.reason, kept.user) == (
        True,
        "Oubli de pointage",
        agent,
    )
    month = presences_for(lunch.schedule, day.strftime("%Y-%m"))
    assert month.closed
    lea_day = next(p for p in month.presences if p.enrolment_id == lea.pk)
    assert (lea_day.status, lea_day.corrected) == ("present", True)


def test_presences_for_billing(site, animateur, enrolments, lunch, day, now, booked):
    lea, tom = enrolments["Léa"], enrolments["Tom"]
    record_taps(
        animateur,
        [
            tap(site, lea, lunch, day, at=now),
            tap(site, lea, lunch, day, field="arrival", value="11:50", at=now),
        ],
        now=now,
    )
    month = presences_for(lunch.schedule, day)
    assert month.month == day.replace(day=1) and not month.closed
    by_child = {p.enrolment_id: p for p in month.presences}
    assert by_child[lea.pk].status == "present"
    assert by_child[lea.pk].arrival == datetime.time(11, 50)
    assert by_child[tom.pk].status == "unchecked" and by_child[tom.pk].booked


def test_parents_and_strangers_reach_no_site(site, animateur, parent, agent):
    assert list(sites_for(animateur)) == [site]
    assert list(sites_for(parent)) == []
    assert list(sites_for(agent)) == [site]


def test_every_action_leaves_who_when_and_why(
    site, animateur, agent, enrolments, lunch, day, now, booked
):
    lea, tom = enrolments["Léa"], enrolments["Tom"]
    record_taps(
        animateur,
        [
            tap(site, lea, lunch, day, at=now),
            tap(site, lea, lunch, day, value="absent_justified", at=now),  # refused
        ],
        now=now,
    )
    later = now + datetime.timedelta(days=40)
    closing.close_month(lunch.schedule, day, user=agent, now=later)
    record_taps(
        agent,
        [tap(site, tom, lunch, day, value="absent", at=later)],
        reason="Oubli",
        now=later,
    )
    other_day = day + datetime.timedelta(days=40)
    closing.close_session(site, lunch, other_day, user=animateur, reason="Sortie")
    trail = list(
        Tap.objects.order_by("pk").values_list(
            "user", "received_at", "outcome", "reason"
        )
    )
    assert trail == [
        (animateur.pk, now, "applied", ""),
        (animateur.pk, now, "refused", ""),
        (agent.pk, later, "applied", "Oubli"),
    ]
    assert MonthClosing.objects.get().closed_by == agent
    closure = SessionClosure.objects.get()
    assert (closure.closed_by, closure.reason) == (animateur, "Sortie")
