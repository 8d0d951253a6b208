"""What bookings keep: each period's service schedule (weekly pattern, sessions, deadline,
closures), the bookings themselves with their trail, waiting lists and absence reports."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Orderable

from activities.billing_rules import InvalidRules, parse_deadline
from activities.service_calendar import HOLIDAY_CALENDARS, WEEKDAYS, ZONES
from family_portal.models import private_storage


@register_setting(icon="date")
class SchoolCalendarSettings(BaseSiteSetting):
    """The commune's school-holiday zone and public holidays, shared by every service."""

    zone = models.CharField(
        _("zone de vacances scolaires"),
        max_length=1,
        choices=[(zone, _("Zone %(zone)s") % {"zone": zone}) for zone in ZONES],
        default="A",
    )
    public_holidays = models.CharField(
        _("jours fériés"),
        max_length=20,
        choices=list(
            zip(
                HOLIDAY_CALENDARS,
                [
                    _("Métropole"),
                    _("Alsace-Moselle (avec le Vendredi saint et le 26 décembre)"),
                ],
                strict=True,
            )
        ),
        default="metropole",
    )

    class Meta:
        verbose_name = _("calendrier de la commune")


class SchoolTerm(models.TextChoices):
    TERM = "term", _("En période scolaire (hors vacances)")
    HOLIDAYS = "holidays", _("Pendant les vacances scolaires")
    ALL = "all", _("Toute l'année")


def default_weekdays():
    return [0, 1, 3, 4]


def default_deadline():
    return {
        "days_before": 2,
        "at": "23:59",
        "count": "working_days",
        "holidays": "metropole",
    }


class SiteSource(models.TextChoices):
    """Where a child of the service is counted in the headcounts: a canteen cooks per
    school, a leisure centre receives everybody at its own place."""

    SCHOOL = "school", _("À l'école de l'enfant (cantine, accueil périscolaire)")
    PLACE = "place", _("Au lieu de l'activité (accueil de loisirs)")


class ServiceSchedule(ClusterableModel):
    """When a period's service runs and until when its days can be booked online."""

    period = models.OneToOneField(
        "activities.ActivityPeriod",
        on_delete=models.CASCADE,
        related_name="schedule",
        verbose_name=_("période"),
    )
    weekdays = models.JSONField(
        _("jours d'accueil"),
        default=default_weekdays,
        help_text=_("Les jours de la semaine, de 0 (lundi) à 6 (dimanche)."),
    )
    school_term = models.CharField(
        _("fonctionne"),
        max_length=10,
        choices=SchoolTerm.choices,
        default=SchoolTerm.TERM,
    )
    deadline = models.JSONField(
        _("date limite de réservation et d'annulation"),
        default=default_deadline,
        help_text=_(
            "Au format « deadline » des règles de facturation : par exemple deux jours "
            "ouvrés avant, à 23 h 59."
        ),
    )

    site_source = models.CharField(
        _("effectifs comptés"),
        max_length=10,
        choices=SiteSource.choices,
        default=SiteSource.PLACE,
        help_text=_(
            "Pour les effectifs du jour : par école (repas à préparer par école) ou "
            "au lieu de l'activité."
        ),
    )

    class Meta:
        verbose_name = _("calendrier du service")
        verbose_name_plural = _("calendriers des services")

    def __str__(self):
        return str(self.period)

    def clean(self):
        errors = {}
        if (
            not isinstance(self.weekdays, list)
            or not self.weekdays
            or any(day not in range(7) for day in self.weekdays)
            or len(set(self.weekdays)) != len(self.weekdays)
        ):
            errors["weekdays"] = _(
                "Donnez au moins un jour, chacun une fois, de 0 (lundi) à 6 (dimanche)."
            )
        try:
            parse_deadline(self.deadline)
        except InvalidRules as error:
            errors["deadline"] = [str(problem) for problem in error.problems]
        if errors:
            raise ValidationError(errors)

    def describe_weekdays(self) -> str:
        return ", ".join(WEEKDAYS[day] for day in sorted(self.weekdays))


class ServiceSession(Orderable):
    """One session of the service a day: the lunch, the morning care, a whole day…"""

    schedule = ParentalKey(
        ServiceSchedule, on_delete=models.CASCADE, related_name="sessions"
    )
    name = models.CharField(
        _("séance"), max_length=60, help_text=_("Par exemple « Déjeuner ».")
    )
    starts = models.TimeField(_("début"))
    ends = models.TimeField(_("fin"))
    capacity = models.PositiveIntegerField(
        _("places par jour"),
        null=True,
        blank=True,
        help_text=_(
            "Laisser vide quand le nombre d'enfants n'est pas limité (cantine)."
        ),
    )

    panels = [
        FieldRowPanel(
            [
                FieldPanel("name"),
                FieldPanel("starts"),
                FieldPanel("ends"),
                FieldPanel("capacity"),
            ]
        )
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("séance")
        verbose_name_plural = _("séances")

    def __str__(self):
        return f"{self.schedule.period.activity.title} — {self.name}"

    def clean(self):
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError(
                {"ends": _("La fin de la séance doit suivre son début.")}
            )


class CalendarChangeQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(removed_at__isnull=True)


class CalendarChange(models.Model):
    """A closure (strike, teacher training day) or an extra day added by an agent. A
    change taken back is kept, with who took it back and when (``removed_at``)."""

    class Kind(models.TextChoices):
        CLOSURE = "closure", _("Fermeture")
        EXTRA = "extra", _("Jour ajouté")

    schedule = models.ForeignKey(
        ServiceSchedule, on_delete=models.CASCADE, related_name="changes"
    )
    date = models.DateField(_("jour"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("motif"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    removed_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    families_told = models.PositiveIntegerField(_("familles prévenues"), default=0)

    objects = CalendarChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("changement du calendrier")
        verbose_name_plural = _("changements du calendrier")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "date"],
                condition=models.Q(removed_at__isnull=True),
                name="one_change_per_day",
            )
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} — {self.get_kind_display()} : {self.reason}"


class Booking(models.Model):
    """A child's session on a day. A cancellation keeps the row (billing reads when it was
    cancelled); booking again reopens it. A session the service could not run (strike,
    trip) makes its bookings ``closed``. Its trail is in ``BookingEvent``."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Réservé")
        CANCELLED = "cancelled", _("Annulé")
        CLOSED = "closed", _("Service fermé")

    enrolment = models.ForeignKey(
        "family_portal.Enrolment",
        on_delete=models.CASCADE,
        related_name="bookings",
        verbose_name=_("inscription"),
    )
    session = models.ForeignKey(
        ServiceSession,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("séance"),
    )
    date = models.DateField(_("jour"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices)
    booked_at = models.DateTimeField(_("réservé le"))
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        ordering = ["date", "session__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "session", "date"],
                name="one_booking_per_session_day",
            )
        ]
        indexes = [
            models.Index(
                fields=["session", "date", "status"], name="booking_headcount"
            ),
            # The kitchen's headcount reads one day of every session.
            models.Index(fields=["date", "status"], name="booking_day"),
        ]

    def __str__(self):
        return f"{self.enrolment.child} — {self.session.name} du {self.date:%d/%m/%Y}"


class BookingEvent(models.Model):
    """Who booked or cancelled what, when, and whether it was past the deadline."""

    class Action(models.TextChoices):
        BOOKED = "booked", _("Réservation")
        CANCELLED = "cancelled", _("Annulation")
        PROMOTED = "promoted", _("Place obtenue sur liste d'attente")
        CLOSED = "closed", _("Service fermé ce jour-là")

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    at = models.DateTimeField(_("le"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    by_agent = models.BooleanField(_("par un agent"), default=False)
    after_deadline = models.BooleanField(_("après la date limite"), default=False)

    class Meta:
        verbose_name = _("historique de réservation")
        ordering = ["at", "pk"]


class WaitingEntry(models.Model):
    """A child waiting for a place on a full day; the first in line gets the next one."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("En attente")
        PROMOTED = "promoted", _("Place obtenue")
        WITHDRAWN = "withdrawn", _("Retiré")

    enrolment = models.ForeignKey(
        "family_portal.Enrolment", on_delete=models.CASCADE, related_name="waiting_days"
    )
    session = models.ForeignKey(
        ServiceSession, on_delete=models.CASCADE, related_name="waiting"
    )
    date = models.DateField(_("jour"))
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    created_at = models.DateTimeField(_("en attente depuis"), default=timezone.now)
    settled_at = models.DateTimeField(_("réglé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("liste d'attente d'un jour")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "session", "date"],
                condition=models.Q(status="waiting"),
                name="one_waiting_entry_per_session_day",
            )
        ]


class AbsenceReport(models.Model):
    """A parent's "my child is absent", with an optional medical certificate; once an agent
    accepts the certificate the absence is justified for billing."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Signalée")
        PENDING = "pending", _("Certificat à vérifier")
        JUSTIFIED = "justified", _("Justifiée")
        REJECTED = "rejected", _("Certificat refusé")

    child = models.ForeignKey(
        "family_portal.Child", on_delete=models.CASCADE, related_name="absences"
    )
    first_day = models.DateField(_("premier jour"))
    last_day = models.DateField(_("dernier jour"))
    reported_at = models.DateTimeField(_("signalée le"), default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    certificate = models.FileField(
        _("certificat médical"),
        upload_to="certificats-medicaux/%Y/%m/",
        storage=private_storage,
        blank=True,
    )
    status = models.CharField(_("état"), max_length=10, choices=Status.choices)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    rejection_reason = models.TextField(_("motif du refus"), blank=True)

    class Meta:
        verbose_name = _("absence signalée")
        verbose_name_plural = _("absences signalées")
        ordering = ["-first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")),
                name="absence_ends_after_it_starts",
            )
        ]

    def covers(self, day) -> bool:
        return self.first_day <= day <= self.last_day


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret address of a family's iCal feed of booked days. Whoever has the
    address reads the feed (phone calendars send no cookie): renewing it gives a new
    token, and the old address answers 404 from then on."""

    family = models.OneToOneField(
        "family_portal.Family", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(
        _("jeton"), max_length=64, unique=True, default=new_feed_token
    )
    renewed_at = models.DateTimeField(_("renouvelé le"), default=timezone.now)

    class Meta:
        verbose_name = _("agenda iCal d'une famille")
        verbose_name_plural = _("agendas iCal des familles")

    def renew(self) -> None:
        self.token = new_feed_token()
        self.renewed_at = timezone.now()
        self.save(update_fields=["token", "renewed_at"])
