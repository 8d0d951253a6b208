"""The attendance demo: an animateur assigned to the Jules-Ferry school's after-school
care, and today's list there (a dozen children booked, one reported sick, one with an
accepted medical certificate). Called by ``load_demo``; idempotent."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from activities.models import ActivityPage
from family_portal import enrolment as enrolments
from family_portal.bookings import services as bookings
from family_portal.bookings.models import (
    AbsenceReport,
    CalendarChange,
    ServiceSchedule,
    ServiceSession,
)
from family_portal.models import Child, Enrolment, Family, Guardian

from .groups import ensure_groups
from .models import AttendanceSite

SCHOOL = "École Jules-Ferry"
ANIMATEUR = {
    "username": "animateur",
    "password": "demo-animateur-2026",
    "email": "animateur@demo.example.org",
    "first_name": "Inès",
    "last_name": "Roux",
    "role": "animatrice (pointage sur tablette)",
}
# (family name, guardian first name, children's first names)
FAMILIES = [
    ("Petit", "Claire", ["Jules", "Manon"]),
    ("Moreau", "Nadia", ["Adam", "Inaya"]),
    ("Fontaine", "Paul", ["Gabriel"]),
    ("Rousseau", "Sophie", ["Chloé", "Louis"]),
    ("Garnier", "Yasmine", ["Rayan"]),
    ("Chevalier", "Marc", ["Zoé", "Hugo"]),
    ("Lambert", "Aïcha", ["Lina", "Noah"]),
]


def _animateur():
    user, created = get_user_model().objects.get_or_create(
        username=ANIMATEUR["username"],
        defaults={key: ANIMATEUR[key] for key in ("email", "first_name", "last_name")},
    )
    if created:
        user.set_password(ANIMATEUR["password"])
        user.save()
    user.groups.add(ensure_groups())
    return user


def _schedule(period):
    """The after-school care's evening session (a schedule made when none exists)."""
    schedule, created = ServiceSchedule.objects.get_or_create(period=period)
    if created or not schedule.sessions.exists():
        ServiceSession.objects.create(
            schedule=schedule,
            name="Accueil du soir",
            starts=datetime.time(16, 30),
            ends=datetime.time(18, 30),
        )
    return schedule


def _runs_today(schedule, today, user):
    """Today is a service day of the demo, even on a Wednesday or a Saturday."""
    if any(day.runs for day in bookings.month_grid(schedule, today, today)):
        return
    CalendarChange.objects.get_or_create(
        schedule=schedule,
        date=today,
        defaults={
            "kind": CalendarChange.Kind.EXTRA,
            "reason": "Journée de démonstration du pointage",
            "created_by": user,
        },
    )


def _families(commune, period):
    enrolled = []
    for index, (name, guardian, children) in enumerate(FAMILIES):
        family = Family.objects.filter(name=f"Famille {name}").first()
        if family is None:
            family = Family.objects.create(
                name=f"Famille {name}",
                street=f"{index + 4} rue Jules-Ferry",
                postcode=commune.postcode_list[0] if commune.postcode_list else "",
                city=commune.name,
            )
            Guardian.objects.create(
                family=family,
                birth_name=name,
                first_name=guardian,
                sex="F"
                if guardian in ("Claire", "Nadia", "Sophie", "Yasmine", "Aïcha")
                else "M",
                birth_date=datetime.date(1985, 1 + index, 10),
                birth_commune_code="45999",
                is_allocataire=True,
            )
            for rank, first_name in enumerate(children):
                Child.objects.create(
                    family=family,
                    first_name=first_name,
                    last_name=name,
                    birth_date=datetime.date(
                        period.start.year - 6 - rank, 3 + index, 12
                    ),
                    school_level="CE1",
                    school=SCHOOL,
                )
        existing = family.enrolments.filter(period=period)
        if not existing.exists():
            enrolments.confirm(
                family,
                commune,
                period,
                list(family.children.all()),
                enrolments.QfChoice(Enrolment.QfSource.NONE),
            )
        enrolled.extend(
            family.enrolments.filter(
                period=period, status__in=bookings.ACTIVE_ENROLMENTS
            ).select_related("child")
        )
    return enrolled


@transaction.atomic
def load_attendance_demo(commune, today: datetime.date | None = None):
    """The animateur, the site and today's list; returns the site (None without the
    after-school care page)."""
    today = today or timezone.localdate()
    page = ActivityPage.objects.filter(slug="accueil-periscolaire").first()
    period = (
        page.periods.filter(start__lte=today, end__gte=today).first() if page else None
    )
    if period is None:
        return None
    user = _animateur()
    schedule = _schedule(period)
    site, _ = AttendanceSite.objects.get_or_create(
        name=SCHOOL, defaults={"address": "1 rue Jules-Ferry", "schools": SCHOOL}
    )
    site.schedules.add(schedule)
    site.animateurs.add(user)
    _runs_today(schedule, today, user)
    session = schedule.sessions.order_by("sort_order", "pk").first()
    enrolled = _families(commune, period)
    for enrolment in enrolled[:-1]:  # the last one comes without booking
        bookings.book(enrolment, session, [today], user=user, by_agent=True)
    if enrolled:
        sick, certified = enrolled[1].child, enrolled[2].child
        AbsenceReport.objects.get_or_create(
            child=sick,
            first_day=today,
            last_day=today,
            defaults={"status": AbsenceReport.Status.REPORTED},
        )
        AbsenceReport.objects.get_or_create(
            child=certified,
            first_day=today,
            last_day=today + datetime.timedelta(days=2),
            defaults={
                "status": AbsenceReport.Status.JUSTIFIED,
                "checked_at": timezone.now(),
            },
        )
    return site
