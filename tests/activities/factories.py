"""Factories for activity pages (see tests/factories.py for the shared ones)."""

import datetime

import factory
import wagtail_factories

from activities.models import (
    ActivityBaremeLink,
    ActivityIndexPage,
    ActivityPage,
    ActivityPeriod,
)


class ActivityIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ActivityIndexPage

    title = "Activités"
    introduction = "Les activités proposées aux enfants de la commune."


class ActivityPageFactory(wagtail_factories.PageFactory):
    """An activity page with one school-year period; ``baremes=[...]`` links barèmes."""

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
        page.periods = [
            ActivityPeriod(
                label="Année scolaire",
                start=datetime.date(2026, 9, 1),
                end=datetime.date(2027, 7, 3),
                capacity=30,
                enrolment_opens=datetime.date(2026, 6, 1),
                enrolment_closes=datetime.date(2027, 6, 30),
            )
        ]
        if create:
            page.save()
