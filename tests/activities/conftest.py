"""Fixtures of the activities tests: barèmes from the examples (data/baremes), activity pages."""

import pytest

from activities.services import import_document

from .examples import EXAMPLES_DIR, example_document
from .factories import ActivityIndexPageFactory, ActivityPageFactory


@pytest.fixture
def import_example(db):
    """Import an example by file name (without .json); returns its version."""

    def load(name):
        version, _ = import_document(example_document(EXAMPLES_DIR / f"{name}.json"))
        return version

    return load


@pytest.fixture
def activity_index(home_page):
    return ActivityIndexPageFactory(
        parent=home_page, title="Activités", slug="activites"
    )


@pytest.fixture
def canteen(activity_index, import_example):
    """The canteen page, priced by Champcevinel's published grid."""
    version = import_example("champcevinel-restauration")
    return ActivityPageFactory(
        parent=activity_index,
        title="Restauration scolaire",
        slug="restauration",
        category="restauration",
        baremes=[version.bareme],
    )
