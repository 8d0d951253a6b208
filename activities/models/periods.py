"""The periods of an activity: dates, places and the enrolment window."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.models import Orderable

from .pages import ActivityBaremeLink, ActivityPage


def covered_by_a_bareme() -> models.Exists:
    """Whether a barème linked to the period's activity covers its dates
    (``Bareme.covers`` of the pricing engine, in SQL: a barème's row carries the dates of
    its latest version)."""
    return models.Exists(
        ActivityBaremeLink.objects.filter(
            page=OuterRef("activity"),
            bareme__valid_from__lte=OuterRef("start"),
        ).filter(
            models.Q(bareme__valid_until__isnull=True)
            | models.Q(bareme__valid_until__gte=OuterRef("end"))
        )
    )


class ActivityPeriodQuerySet(models.QuerySet):
    def priced(self):
        """The periods a linked barème covers."""
        return self.filter(covered_by_a_bareme())

    def with_priced(self):
        """Each period with ``is_priced``: whether a linked barème covers it."""
        return self.annotate(is_priced=covered_by_a_bareme())


class ActivityPeriod(Orderable):
    activity = ParentalKey(
        ActivityPage, on_delete=models.CASCADE, related_name="periods"
    )
    label = models.CharField(
        _("libellé"),
        max_length=100,
        help_text=_("Par exemple « Année scolaire 2025-2026 »."),
    )
    start = models.DateField(_("début"))
    end = models.DateField(_("fin"))
    capacity = models.PositiveIntegerField(_("places"))
    enrolment_opens = models.DateField(_("ouverture des inscriptions"))
    enrolment_closes = models.DateField(_("clôture des inscriptions"))

    objects = ActivityPeriodQuerySet.as_manager()

    panels = [
        FieldPanel("label"),
        FieldRowPanel([FieldPanel("start"), FieldPanel("end"), FieldPanel("capacity")]),
        FieldRowPanel([FieldPanel("enrolment_opens"), FieldPanel("enrolment_closes")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("période")
        verbose_name_plural = _("périodes")

    def __str__(self):
        return self.label

    def clean(self):
        errors = {}
        if self.start and self.end and self.start > self.end:
            errors["end"] = _("La fin de la période doit suivre son début.")
        if (
            self.enrolment_opens
            and self.enrolment_closes
            and self.enrolment_opens > self.enrolment_closes
        ):
            errors["enrolment_closes"] = _(
                "La clôture des inscriptions doit suivre leur ouverture."
            )
        if errors:
            raise ValidationError(errors)

    def enrolment_is_open(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.enrolment_opens <= today <= self.enrolment_closes
