"""The demo commune's bookings: the calendars of the canteen, the morning and evening
care and the Wednesday leisure centre, the back-office demo families enrolled and booked
around today's date, a closure ahead and a sick-child certificate to check, so that
`make demo` shows the parents' calendars and every agents' screen with something in it.

Run by ``manage.py load_demo`` after the back-office demo; safe to run again (nothing is
added once the canteen has its calendar)."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from activities.models import ActivityPage
from family_portal import enrolment as enrolments
from family_portal.models import Enrolment, Family

from . import closures, services
from .models import AbsenceReport, ServiceSchedule, ServiceSession, SiteSource
from .permissions import grant_booking_permissions

# (activity slug, period label starting with, weekdays, school term, counted at,
#  deadline, sessions: (name, starts, ends, places))
SCHEDULES = [
    (
        "restauration-scolaire",
        "Année scolaire",
        [0, 1, 3, 4],
        "term",
        SiteSource.SCHOOL,
        {
            "days_before": 2,
            "at": "23:59",
            "count": "working_days",
            "holidays": "metropole",
        },
        [("Déjeuner", "11:45", "13:30", None)],
    ),
    (
        "accueil-periscolaire",
        "Année scolaire",
        [0, 1, 3, 4],
        "term",
        SiteSource.SCHOOL,
        {
            "days_before": 1,
            "at": "10:00",
            "count": "calendar_days",
            "holidays": "metropole",
        },
        [
            ("Accueil du matin", "07:30", "08:30", None),
            ("Accueil du soir", "16:30", "18:30", None),
        ],
    ),
    (
        "accueil-de-loisirs",
        "Mercredis",
        [2],
        "term",
        SiteSource.PLACE,
        {
            "days_before": 7,
            "at": "12:00",
            "count": "calendar_days",
            "holidays": "metropole",
        },
        [("Journée", "08:00", "18:00", 24)],
    ),
]
# Who comes to what: (family, activity slug, sessions, weekdays).
ATTENDANCE = [
    ("Famille Bernard", "restauration-scolaire", None, [0, 1, 3, 4]),
    ("Famille Lefebvre", "restauration-scolaire", None, [0, 1, 3, 4]),
    ("Famille Martin", "restauration-scolaire", None, [0, 3]),
    ("Famille Martin", "accueil-periscolaire", None, [0, 1, 3, 4]),
    ("Famille Lefebvre", "accueil-periscolaire", ["Accueil du soir"], [1, 3]),
    ("Famille Bernard", "accueil-de-loisirs", None, [2]),
    ("Famille Martin", "accueil-de-loisirs", None, [2]),
]
BACK, AHEAD = 21, 42  # days booked before and after today


def _time(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


def _schedules() -> dict[str, ServiceSchedule]:
    made = {}
    for slug, label, weekdays, term, site, deadline, sessions in SCHEDULES:
        page = ActivityPage.objects.filter(slug=slug).first()
        period = (
            page.periods.filter(label__startswith=label).order_by("start").first()
            if page
            else None
        )
        if period is None:
            continue
        schedule, created = ServiceSchedule.objects.get_or_create(
            period=period,
            defaults={
                "weekdays": weekdays,
                "school_term": term,
                "site_source": site,
                "deadline": deadline,
            },
        )
        if created:
            for order, (name, starts, ends, places) in enumerate(sessions):
                ServiceSession.objects.create(
                    schedule=schedule,
                    sort_order=order,
                    name=name,
                    starts=_time(starts),
                    ends=_time(ends),
                    capacity=places,
                )
        made[slug] = schedule
    return made


def load_bookings_demo(commune, today: datetime.date | None = None):
    """Calendars, enrolments, bookings around ``today``, a closure, a certificate."""
    today = today or timezone.localdate()
    grant_booking_permissions()
    if ServiceSchedule.objects.filter(
        period__activity__slug="restauration-scolaire"
    ).exists():
        return
    schedules = _schedules()
    agent = get_user_model().objects.filter(username="agent").first()
    first, last = (
        today - datetime.timedelta(days=BACK),
        today + datetime.timedelta(days=AHEAD),
    )
    for family_name, slug, session_names, weekdays in ATTENDANCE:
        family = Family.objects.filter(name=family_name).first()
        schedule = schedules.get(slug)
        if family is None or schedule is None:
            continue
        enrolled = [
            e
            for e in family.enrolments.filter(period=schedule.period)
            if e.status in services.ACTIVE_ENROLMENTS
        ] or enrolments.confirm(
            family,
            commune,
            schedule.period,
            list(family.children.all()),
            enrolments.QfChoice(Enrolment.QfSource.NONE),
        )
        days = [
            day
            for day in services.service_days(schedule)
            if first <= day <= last and day.weekday() in weekdays
        ]
        for session in schedule.sessions.all():
            if session_names and session.name not in session_names:
                continue
            for enrolment in enrolled:
                if enrolment.status in services.ACTIVE_ENROLMENTS:
                    services.book(enrolment, session, days, user=agent, by_agent=True)
    _closure_ahead(schedules.get("accueil-periscolaire"), today, agent)
    _certificate_to_check(today)


def _closure_ahead(schedule, today, agent) -> None:
    """A teacher training day, ten days or so ahead, for the month grid."""
    if schedule is None:
        return
    day = next(
        (
            d
            for d in services.service_days(schedule)
            if d >= today + datetime.timedelta(days=10)
        ),
        None,
    )
    if day is not None:
        closures.add_change(
            schedule, day, "closure", "journée pédagogique", agent=agent
        )


CERTIFICATE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _certificate_to_check(today) -> None:
    family = Family.objects.filter(name="Famille Bernard").first()
    child = family.children.first() if family else None
    if child is None:
        return
    report = AbsenceReport(
        child=child,
        first_day=today,
        last_day=today,
        status=AbsenceReport.Status.PENDING,
        reported_by=family.users.first(),
    )
    report.certificate.save(
        "certificat-medical.pdf", ContentFile(CERTIFICATE), save=False
    )
    report.save()
