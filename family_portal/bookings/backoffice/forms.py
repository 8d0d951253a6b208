"""The agents' forms: a change of the calendar, the headcounts' days, a refusal."""

from __future__ import annotations

import datetime

from django import forms

from family_portal.wizard_forms import DATE_INPUT

from ..headcounts import LONGEST
from ..models import CalendarChange


class CalendarChangeForm(forms.Form):
    date = forms.DateField(label="Jour", widget=DATE_INPUT)
    kind = forms.ChoiceField(
        label="Changement",
        choices=CalendarChange.Kind.choices,
        widget=forms.RadioSelect,
        initial=CalendarChange.Kind.CLOSURE,
    )
    reason = forms.CharField(
        label="Motif",
        max_length=CalendarChange._meta.get_field("reason").max_length,
        help_text="Par exemple « grève », « journée pédagogique », « sortie du "
        "samedi ». Il est montré aux familles et, pour une fermeture, envoyé par "
        "courriel à celles qui avaient réservé ce jour.",
    )


class HeadcountForm(forms.Form):
    du = forms.DateField(label="Du", widget=DATE_INPUT)
    au = forms.DateField(
        label="Au",
        widget=DATE_INPUT,
        required=False,
        help_text=f"Laissez vide pour un seul jour ; {LONGEST} jours au plus.",
    )
    activite = forms.TypedMultipleChoiceField(
        label="Activités",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Aucune cochée : toutes les activités.",
    )

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activite"].choices = activities

    def clean(self):
        cleaned = super().clean()
        first = cleaned.get("du")
        if first is None:
            return cleaned
        last = cleaned.get("au") or first
        cleaned["au"] = last
        if last < first:
            self.add_error("au", "La date de fin doit suivre la date de début.")
        elif (last - first).days >= LONGEST:
            self.add_error("au", f"Choisissez {LONGEST} jours au plus.")
        return cleaned

    def dates(self) -> tuple[datetime.date, datetime.date]:
        return self.cleaned_data["du"], self.cleaned_data["au"]


class RejectCertificateForm(forms.Form):
    reason = forms.CharField(
        label="Motif du refus",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Il est envoyé à la famille par courriel.",
        error_messages={
            "required": "Indiquez le motif du refus : il est envoyé à la famille."
        },
    )
