"""Factories for activity pages (see tests/factories.py for the shared ones)."""

import factory
import wagtail_factories

from activities.models import (
    ActivityBaremeLink,
    ActivityIndexPage,
    ActivityPage,
    ActivityPeriod,
)
from tests.dates import school_year


class ActivityIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ActivityIndexPage

    title = "Activités"
    introduction = "Les activités proposées aux enfants de la commune."


class ActivityPageFactory(wagtail_factories.PageFactory):
    """An activity page with one period, the current school year (``tests.dates``), whose
    enrolment window contains today; ``baremes=[...]`` links barèmes."""

    class Meta:
        model = ActivityPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Activité {n}")
    category = "loisirs"
    introduction = "Une activité pour les enfants de la commune."
    age_min = 3
    age_max = 11
    schedule = "Le mercredi, de 8 h à 18 h"
    place = "Centre de loisirs"

    @factory.post_generation
    def baremes(page, create, baremes, **kwargs):
        page.bareme_links = [
            ActivityBaremeLink(bareme=bareme) for bareme in baremes or []
        ]
        year = school_year()
        page.periods = [
            ActivityPeriod(
                label="Année scolaire",
                start=year.start,
                end=year.end,
                capacity=30,
                enrolment_opens=year.enrolment_opens,
                enrolment_closes=year.enrolment_closes,
            )
        ]
        if create:
            page.save()
