"""The service schedule in the admin: the weekly pattern as checkboxes, the deadline as
four plain fields (stored in the ``deadline`` form of the billing rules), the sessions
with their places, and a link to each schedule's month grid."""

from __future__ import annotations

from django import forms
from django.contrib.admin import display
from django.urls import reverse
from django.utils.html import format_html
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList
from wagtail_modeladmin.options import ModelAdmin

from activities.billing_rules import InvalidRules, parse_deadline
from activities.service_calendar import WEEKDAYS

from ..models import ServiceSchedule

COUNTS = [
    ("working_days", "jours ouvrés (du lundi au vendredi, hors jours fériés)"),
    ("calendar_days", "jours calendaires"),
]
HOLIDAYS = [
    ("metropole", "Métropole"),
    ("alsace_moselle", "Alsace-Moselle (avec le Vendredi saint et le 26 décembre)"),
]


class ScheduleForm(WagtailAdminModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label="Jours d'accueil",
        coerce=int,
        choices=[(number, name.capitalize()) for number, name in enumerate(WEEKDAYS)],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Cochez au moins un jour d'accueil."},
    )
    deadline_days = forms.IntegerField(
        label="Date limite : nombre de jours avant",
        min_value=0,
        max_value=60,
        help_text="0 : le jour même.",
    )
    deadline_at = forms.TimeField(
        label="à",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    deadline_count = forms.ChoiceField(label="en comptant les", choices=COUNTS)
    deadline_holidays = forms.ChoiceField(
        label="jours fériés", choices=HOLIDAYS, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        deadline = self.instance.deadline or {}
        self.initial.setdefault("deadline_days", deadline.get("days_before", 2))
        self.initial.setdefault("deadline_at", deadline.get("at", "23:59"))
        self.initial.setdefault("deadline_count", deadline.get("count", "working_days"))
        self.initial.setdefault(
            "deadline_holidays", deadline.get("holidays", "metropole")
        )

    def clean(self):
        cleaned = super().clean()
        if None in (cleaned.get("deadline_days"), cleaned.get("deadline_at")):
            return cleaned
        deadline = {
            "days_before": cleaned["deadline_days"],
            "at": cleaned["deadline_at"].strftime("%H:%M"),
            "count": cleaned.get("deadline_count") or "working_days",
            "holidays": cleaned.get("deadline_holidays") or "metropole",
        }
        try:
            parse_deadline(deadline)
        except InvalidRules as error:
            self.add_error("deadline_days", [str(p) for p in error.problems])
        else:
            self.instance.deadline = deadline
        return cleaned


class ServiceScheduleAdmin(ModelAdmin):
    model = ServiceSchedule
    menu_label = "Calendriers des services"
    menu_icon = "date"
    list_display = ("__str__", "activity", "days", "sessions_text", "grid")
    list_select_related = ("period__activity",)
    search_fields = ("period__label", "period__activity__title")
    edit_handler = ObjectList(
        [
            FieldPanel("period"),
            FieldPanel("weekdays"),
            FieldRowPanel([FieldPanel("school_term"), FieldPanel("site_source")]),
            FieldRowPanel(
                [
                    FieldPanel("deadline_days"),
                    FieldPanel("deadline_at"),
                    FieldPanel("deadline_count"),
                    FieldPanel("deadline_holidays"),
                ],
                heading="Date limite de réservation et d'annulation en ligne",
            ),
            InlinePanel("sessions", label="Séances", min_num=1),
        ],
        base_form_class=ScheduleForm,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sessions")

    @display(description="Activité", ordering="period__activity__title")
    def activity(self, schedule):
        return schedule.period.activity.title

    @display(description="Jours")
    def days(self, schedule):
        return schedule.describe_weekdays()

    @display(description="Séances")
    def sessions_text(self, schedule):
        return ", ".join(
            f"{s.name}" + (f" ({s.capacity} places)" if s.capacity else "")
            for s in schedule.sessions.all()
        )

    @display(description="Mois par mois")
    def grid(self, schedule):
        return format_html(
            '<a href="{}">Voir le calendrier<span class="w-sr-only"> de {}</span></a>',
            reverse("bookings_backoffice:schedule_calendar", args=[schedule.pk]),
            f"{schedule.period.activity.title}, {schedule.period.label}",
        )
