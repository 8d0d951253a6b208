"""What attendance keeps: the sites where children are received and the animateurs
assigned to them, one mark per child, session and day (merged field by field, the later
tap winning), every tap received (the audit trail and what makes a resent tap count once),
the sessions the service could not run, and the months an agent closed."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel


class AttendanceSite(models.Model):
    """A place where a service receives children (a school's canteen, a leisure centre).
    A site hosts one or more services; with schools listed it receives only their
    pupils (one canteen per school), without, every child enrolled in its services."""

    name = models.CharField(_("nom du lieu"), max_length=150, unique=True)
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    schedules = models.ManyToManyField(
        "bookings.ServiceSchedule",
        related_name="attendance_sites",
        verbose_name=_("services accueillis"),
    )
    schools = models.TextField(
        _("écoles des enfants accueillis"),
        blank=True,
        help_text=_(
            "Une école par ligne, écrite comme dans le dossier des enfants. Laisser vide "
            "quand le lieu accueille tous les enfants inscrits à ces services."
        ),
    )
    animateurs = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="attendance_sites",
        blank=True,
        verbose_name=_("animateurs affectés"),
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("address"),
        FieldPanel("schedules"),
        FieldPanel("schools"),
        FieldPanel("animateurs"),
    ]

    class Meta:
        verbose_name = _("lieu d'accueil")
        verbose_name_plural = _("lieux d'accueil")
        ordering = ["name"]
        permissions = [
            ("check_in", _("Pointer les présences des lieux où l'on est affecté")),
            ("manage_attendance", _("Suivre, corriger et clôturer les présences")),
            ("reopen_month", _("Rouvrir un mois de présences clôturé")),
        ]

    def __str__(self):
        return self.name

    def school_names(self) -> set[str]:
        return {
            line.strip().casefold()
            for line in self.schools.splitlines()
            if line.strip()
        }


class Mark(models.Model):
    """A child's attendance at a session on a day. Each field (status, arrival,
    departure) keeps the time of the tap that set it: a tap made earlier than the one
    kept changes nothing, so two tablets merge whatever order their taps arrive in."""

    class Status(models.TextChoices):
        UNCHECKED = "", _("Non pointé")
        PRESENT = "present", _("Présent")
        ABSENT = "absent", _("Absent")
        ABSENT_JUSTIFIED = "absent_justified", _("Absence justifiée")

    enrolment = models.ForeignKey(
        "family_portal.Enrolment",
        on_delete=models.CASCADE,
        related_name="attendance_marks",
        verbose_name=_("inscription"),
    )
    session = models.ForeignKey(
        "bookings.ServiceSession",
        on_delete=models.PROTECT,
        related_name="attendance_marks",
        verbose_name=_("séance"),
    )
    date = models.DateField(_("jour"))
    site = models.ForeignKey(
        AttendanceSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="marks",
        verbose_name=_("lieu"),
    )
    status = models.CharField(
        _("présence"), max_length=20, choices=Status.choices, blank=True
    )
    status_at = models.DateTimeField(null=True, blank=True)
    arrival = models.TimeField(_("arrivée"), null=True, blank=True)
    arrival_at = models.DateTimeField(null=True, blank=True)
    departure = models.TimeField(_("départ"), null=True, blank=True)
    departure_at = models.DateTimeField(null=True, blank=True)
    corrected = models.BooleanField(
        _("corrigé après la clôture du mois"),
        default=False,
        help_text=_("La prochaine facture porte la correction."),
    )
    updated_at = models.DateTimeField(_("modifié le"), default=timezone.now)

    class Meta:
        verbose_name = _("pointage")
        verbose_name_plural = _("pointages")
        ordering = ["date", "session__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "session", "date"],
                name="one_mark_per_session_day",
            )
        ]
        indexes = [models.Index(fields=["session", "date"], name="mark_list")]

    def __str__(self):
        return f"{self.enrolment.child} — {self.session.name} du {self.date:%d/%m/%Y}"


class Tap(models.Model):
    """One change sent by a tablet or made by an agent: who, when it was made and
    received, and what became of it. Its id comes from the device, so a tap sent twice
    (a retry after a lost answer) is recorded once."""

    class Field(models.TextChoices):
        STATUS = "status", _("présence")
        ARRIVAL = "arrival", _("arrivée")
        DEPARTURE = "departure", _("départ")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Pris en compte")
        SUPERSEDED = "superseded", _("Remplacé par un pointage plus récent")
        REFUSED = "refused", _("Refusé")

    tap_id = models.UUIDField(_("identifiant"), unique=True, default=uuid.uuid4)
    mark = models.ForeignKey(
        Mark, on_delete=models.CASCADE, null=True, blank=True, related_name="taps"
    )
    field = models.CharField(_("champ"), max_length=10, choices=Field.choices)
    value = models.CharField(_("valeur"), max_length=20, blank=True)
    tapped_at = models.DateTimeField(_("fait le"))
    received_at = models.DateTimeField(_("reçu le"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    outcome = models.CharField(_("suite"), max_length=12, choices=Outcome.choices)
    message = models.CharField(_("explication"), max_length=300, blank=True)
    reason = models.TextField(_("motif de la correction"), blank=True)
    correction = models.BooleanField(_("correction après clôture"), default=False)

    class Meta:
        verbose_name = _("historique de pointage")
        verbose_name_plural = _("historique des pointages")
        ordering = ["received_at", "pk"]

    def __str__(self):
        return f"{self.get_field_display()} = {self.value or '—'} ({self.tapped_at:%d/%m/%Y %H:%M:%S})"


class SessionClosure(models.Model):
    """A session the service did not run on a day (strike, trip), at one site or
    everywhere: its bookings became ``closed``. Undone (a mistake, the strike called
    off), they are booked again and the row keeps who undid it, when and why."""

    session = models.ForeignKey(
        "bookings.ServiceSession", on_delete=models.PROTECT, related_name="closures"
    )
    date = models.DateField(_("jour"))
    site = models.ForeignKey(
        AttendanceSite,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("lieu"),
    )
    reason = models.CharField(_("motif"), max_length=200)
    bookings_closed = models.PositiveIntegerField(_("réservations fermées"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("par"),
    )
    closed_at = models.DateTimeField(_("le"), default=timezone.now)
    # The bookings this closure made ``closed``: undoing it makes them booked again.
    bookings = models.ManyToManyField(
        "bookings.Booking",
        related_name="+",
        blank=True,
        verbose_name=_("réservations fermées"),
    )
    undone_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulée par"),
    )
    undo_reason = models.CharField(
        _("motif de l'annulation"), max_length=200, blank=True
    )

    class Meta:
        verbose_name = _("séance non assurée")
        verbose_name_plural = _("séances non assurées")
        ordering = ["-date"]


class MonthClosingQuerySet(models.QuerySet):
    def in_force(self):
        """The closings not reopened since: what makes a month closed."""
        return self.filter(reopened_at__isnull=True)


class MonthClosing(models.Model):
    """A service's month closed by an agent: from then on a change needs a reason, is
    kept as a correction and billed on the next invoice."""

    schedule = models.ForeignKey(
        "bookings.ServiceSchedule",
        on_delete=models.PROTECT,
        related_name="month_closings",
        verbose_name=_("service"),
    )
    month = models.DateField(_("mois"), help_text=_("Le premier jour du mois."))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("par"),
    )
    closed_at = models.DateTimeField(_("clôturé le"), default=timezone.now)
    # Reopened by an agent allowed to (``attendance.reopen_month``), with a reason: the
    # row stays as the audit; closing the month again makes a new one.
    reopened_at = models.DateTimeField(_("rouvert le"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rouvert par"),
    )
    reopen_reason = models.CharField(
        _("motif de la réouverture"), max_length=300, blank=True
    )

    objects = MonthClosingQuerySet.as_manager()

    class Meta:
        verbose_name = _("mois clôturé")
        verbose_name_plural = _("mois clôturés")
        ordering = ["-month", "-closed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "month"],
                condition=models.Q(reopened_at__isnull=True),
                name="one_closing_per_service_month",
            )
        ]

    def __str__(self):
        return f"{self.schedule} — {self.month:%m/%Y}"
