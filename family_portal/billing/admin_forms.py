"""Forms of the billing screens: the rules (checked whole by the engine, each problem put
beside its field, like the barème's), a run to start, a credit note, a correction."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.utils import timezone
from wagtail.admin.forms import WagtailAdminModelForm

from activities.billing_rules import CASES, validate_rules

from .compute import month_label, previous_month
from .models import Regie

FIELDS = {
    "id": "slug",
    "label": "label",
    "deliberation": "deliberation_reference",
    "deliberation.reference": "deliberation_reference",
    "deliberation.date": "deliberation_date",
    "deliberation.url": "deliberation_url",
    "billing": "billing",
    "deadline": "deadline_days_before",
    "deadline.days_before": "deadline_days_before",
    "deadline.at": "deadline_at",
    "deadline.count": "deadline_count",
    "deadline.holidays": "deadline_holidays",
    "charges.justified_waiting_days": "justified_waiting_days",
    "slots": "slot_minutes",
    "slots.minutes": "slot_minutes",
    "slots.rounding": "slot_rounding",
    "slots.tolerance_minutes": "slot_tolerance",
    "late_pickup": "late_after",
    "late_pickup.after": "late_after",
    "late_pickup.amount": "late_amount",
    "late_pickup.per": "late_per",
    "minimum_invoice": "minimum_invoice",
}
CHARGE_PATH = re.compile(r"charges\.(\w+)(\..*)?")


class ServiceRulesAdminForm(WagtailAdminModelForm):
    """Checks the rules with the billing engine and puts each problem in place."""

    def is_valid(self):
        if not super().is_valid():
            return False
        problems = validate_rules(self.instance.to_document())
        for problem in problems:
            self._place(problem)
        return not problems

    def _place(self, problem):
        message = problem.message[:1].upper() + problem.message[1:]
        field = FIELDS.get(problem.path)
        match = CHARGE_PATH.fullmatch(problem.path)
        if field is None and match and match[1] in CASES:
            field = f"{match[1]}_value"
        if field is not None and field in self.fields:
            self.add_error(field, message)
        else:
            self.add_error(
                None, f"{message} ({problem.path})" if problem.path else message
            )


def month_choices(today: datetime.date, count: int = 12):
    month = previous_month(today)
    choices = []
    for _ in range(count):
        choices.append((month.isoformat(), month_label(month).capitalize()))
        month = previous_month(month)
    return choices


class RunForm(forms.Form):
    regie = forms.ModelChoiceField(Regie.objects.all(), label="Régie", empty_label=None)
    month = forms.ChoiceField(label="Mois à facturer")

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = month_choices(today or timezone.localdate())

    def clean_month(self):
        return datetime.date.fromisoformat(self.cleaned_data["month"])


class CreditNoteForm(forms.Form):
    amount = forms.CharField(
        label="Montant de l'avoir (€)",
        help_text="Par exemple 12,50 ; au plus le reste de la facture.",
    )
    reason = forms.CharField(
        label="Motif (lu par la famille)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class CorrectionForm(forms.Form):
    amount = forms.CharField(
        label="Montant (€)",
        help_text="Positif pour ajouter une somme, négatif (−5,00) pour en retirer.",
    )
    reason = forms.CharField(
        label="Motif (lu par la famille)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )
