"""The agents' batch form: which certificates to print together."""

from django import forms

from activities.models import ActivityPage, ActivityPeriod
from home.ids import IdChoiceField

from .services import matching_schools


class BatchForm(forms.Form):
    activity = IdChoiceField(
        label="Activité",
        queryset=ActivityPage.objects.order_by("title"),
        empty_label="Choisissez une activité",
    )
    period = IdChoiceField(
        label="Période",
        queryset=ActivityPeriod.objects.select_related("activity").order_by(
            "activity__title", "start", "pk"
        ),
        required=False,
        empty_label="Toutes les périodes",
        help_text="Facultatif : une période de l'activité choisie.",
    )
    school = forms.CharField(
        label="École",
        max_length=150,
        required=False,
        help_text=(
            "Facultatif : tout ou partie du nom de l'école (majuscules et accents "
            "indifférents), par exemple « jules ferry »."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].label_from_instance = lambda period: (
            f"{period.activity.title} — {period.label}"
        )

    def clean(self):
        data = super().clean()
        activity, period = data.get("activity"), data.get("period")
        if activity and period and period.activity_id != activity.pk:
            self.add_error(
                "period", "Cette période n'appartient pas à l'activité choisie."
            )
        school = data.get("school", "").strip()
        if activity and school and not matching_schools(activity, school):
            self.add_error(
                "school",
                f"Aucune école dont le nom contient « {school} » n'a d'enfant "
                "inscrit à cette activité.",
            )
        return data
