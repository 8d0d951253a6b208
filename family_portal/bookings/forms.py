"""The parent's forms: a month of checkboxes, a weekly pattern, a sick child."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from activities.service_calendar import WEEKDAYS
from family_portal.uploads import validate_qf_upload
from family_portal.wizard_forms import DATE_INPUT
from home.forms import PortalForm

from . import services

BOOK, CANCEL = "reserver", "annuler"
# How far back a parent may report an absence online; older ones go to the service.
ABSENCE_DAYS_BACK = 30
ABSENCE_LONGEST = 31


def cell_key(session_id: int, day: datetime.date) -> str:
    return f"{session_id}:{day.isoformat()}"


def parse_cell(key: str) -> tuple[int, datetime.date] | None:
    session, _, day = key.partition(":")
    try:
        return int(session), datetime.date.fromisoformat(day)
    except ValueError:
        return None


def enrolment_label(enrolment) -> str:
    return enrolment.child.first_name


class MonthForm(PortalForm):
    """The checkboxes of one month: ``jours`` are the ticked cells, ``affiches`` the
    cells the parent could change when the page was shown (an unticked box sends
    nothing, so this is how a cancellation is told from a day never shown)."""

    jours = forms.MultipleChoiceField(required=False)
    affiches = forms.MultipleChoiceField(
        required=False, widget=forms.MultipleHiddenInput
    )
    aussi = forms.ModelMultipleChoiceField(
        label="Faire les mêmes changements pour",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Les jours cochés ou décochés ci-dessus le seront aussi pour chaque "
        "prénom coché ici.",
    )

    def __init__(self, *args, cells, siblings, **kwargs):
        super().__init__(*args, **kwargs)
        keys = [(key, key) for key in cells]
        self.fields["jours"].choices = keys
        self.fields["affiches"].choices = keys
        self.fields["aussi"].queryset = siblings
        self.fields["aussi"].label_from_instance = enrolment_label

    def changes(self, held: set[str]) -> tuple[list[str], list[str]]:
        """(cells to book, cells to cancel) against the cells the child holds now
        (booked or on the waiting list)."""
        ticked = set(self.cleaned_data["jours"])
        shown = set(self.cleaned_data["affiches"])
        to_book = sorted(shown & ticked - held)
        to_cancel = sorted((shown - ticked) & held)
        return to_book, to_cancel


class RecurringForm(PortalForm):
    """Every chosen weekday between two dates, booked or cancelled at once."""

    action = forms.ChoiceField(
        label="Je souhaite",
        choices=[(BOOK, "Réserver"), (CANCEL, "Annuler")],
        widget=forms.RadioSelect,
        initial=BOOK,
    )
    jours_semaine = forms.TypedMultipleChoiceField(
        label="Chaque",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un jour de la semaine."},
    )
    seances = forms.ModelMultipleChoiceField(
        label="Séances",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins une séance."},
    )
    du = forms.DateField(label="Du", widget=DATE_INPUT)
    au = forms.DateField(label="Au", widget=DATE_INPUT)
    enfants = forms.ModelMultipleChoiceField(
        label="Pour",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un enfant."},
    )

    def __init__(
        self, *args, schedule, enrolments, first_open, calendars=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.schedule = schedule
        self.calendars = calendars
        period = schedule.period
        self.fields["jours_semaine"].choices = [
            (day, WEEKDAYS[day]) for day in sorted(schedule.weekdays)
        ]
        sessions = schedule.sessions.all()
        self.fields["seances"].queryset = sessions
        self.fields["seances"].label_from_instance = lambda session: (
            f"{session.name} ({session.starts:%H:%M}–{session.ends:%H:%M})"
        )
        if len(sessions) == 1:
            self.fields["seances"].widget = forms.MultipleHiddenInput()
            self.fields["seances"].initial = [sessions[0].pk]
        self.fields["enfants"].queryset = enrolments
        self.fields["enfants"].label_from_instance = enrolment_label
        # ``first_open``: a day, or a function giving it when the form is shown.
        self.fields["du"].initial = lambda: (
            (first_open() if callable(first_open) else first_open) or period.start
        )
        self.fields["au"].initial = period.end
        self.fields[
            "du"
        ].help_text = (
            f"La période va du {period.start:%d/%m/%Y} au {period.end:%d/%m/%Y}."
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("du"), cleaned.get("au")
        period = self.schedule.period
        if start and end:
            if start > end:
                self.add_error("au", "La date de fin doit suivre la date de début.")
            elif start > period.end or end < period.start:
                self.add_error(
                    "du",
                    f"Choisissez des dates dans la période, du {period.start:%d/%m/%Y} "
                    f"au {period.end:%d/%m/%Y}.",
                )
        return cleaned

    def days(self) -> list[datetime.date]:
        start, end = self.cleaned_data["du"], self.cleaned_data["au"]
        weekdays = set(self.cleaned_data["jours_semaine"])
        return [
            day
            for day in services.open_days_of(self.schedule, self.calendars).days
            if start <= day <= end and day.weekday() in weekdays
        ]


class AbsenceForm(PortalForm):
    """ "Mon enfant est absent": which child, which days, an optional certificate."""

    enfant = forms.ModelChoiceField(
        label="Enfant",
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choisissez l'enfant absent."},
    )
    premier_jour = forms.DateField(label="Premier jour d'absence", widget=DATE_INPUT)
    dernier_jour = forms.DateField(
        label="Dernier jour d'absence",
        widget=DATE_INPUT,
        required=False,
        help_text="Laissez vide pour une absence d'un seul jour.",
    )
    certificat = forms.FileField(
        label="Certificat médical (facultatif)",
        required=False,
        help_text="PDF, JPEG ou PNG, 5 Mo au plus. Avec un certificat accepté par le "
        "service, l'absence est justifiée et n'est pas facturée (sauf jours de "
        "carence prévus par le règlement).",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enfant"].queryset = children
        self.fields["enfant"].label_from_instance = lambda child: child.first_name
        if len(children) == 1:
            self.fields["enfant"].initial = children[0].pk
        self.fields["premier_jour"].initial = timezone.localdate()
        self.content_type = ""

    def clean_certificat(self):
        upload = self.cleaned_data.get("certificat")
        if upload:
            self.content_type = validate_qf_upload(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        first = cleaned.get("premier_jour")
        if not first:
            return cleaned
        last = cleaned.get("dernier_jour") or first
        cleaned["dernier_jour"] = last
        today = timezone.localdate()
        if last < first:
            self.add_error(
                "dernier_jour", "Le dernier jour doit suivre le premier jour."
            )
        elif (last - first).days >= ABSENCE_LONGEST:
            self.add_error(
                "dernier_jour",
                f"Signalez au plus {ABSENCE_LONGEST} jours à la fois ; pour une "
                "absence plus longue, adressez-vous au service.",
            )
        if first < today - datetime.timedelta(days=ABSENCE_DAYS_BACK):
            self.add_error(
                "premier_jour",
                f"Une absence de plus de {ABSENCE_DAYS_BACK} jours ne peut plus être "
                "signalée en ligne : adressez-vous au service.",
            )
        return cleaned
