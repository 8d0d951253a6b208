"""The load tests reuse the family-portal fixtures (an activity priced by a real grid).

They run in real transactions (`transaction=True`): the tables are emptied after each
test, Wagtail's root page with them, so the root is made again when missing.
"""

import pytest
from wagtail.models import Locale, Page

from tests.family_portal.conftest import canteen  # noqa: F401 - a fixture, used by name


@pytest.fixture
def root_page(db):
    root = Page.get_first_root_node()
    if root is None:
        Locale.objects.get_or_create(language_code="fr")
        root = Page.add_root(title="Root", slug="root")
    return root
