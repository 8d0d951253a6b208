"""Fixtures shared by every test folder."""

import pytest
from django.conf import settings
from django.core.cache import cache
from wagtail.models import Locale, Page, Site

from home.models import HomePage


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` skip themselves on SQLite; `make test` runs them on the
    throwaway cluster of `.ci/with-postgres`."""
    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: `make test`, or `.ci/with-postgres pytest -m postgres`"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: pages and fragments cached from an earlier
    test's database must not be served to the next one (the database is rolled back,
    the cache is not)."""
    cache.clear()


@pytest.fixture
def root_page(db):
    """Wagtail's root page. A transactional test empties every table when it ends, the
    root made by Wagtail's migrations with them: the root is made again when missing."""
    root = Page.get_first_root_node()
    if root is None:
        Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
        root = Page.add_root(title="Root", slug="root")
    return root


@pytest.fixture
def home_page(root_page):
    """A published HomePage served by the default site, as in production."""
    home = HomePage(title="Ville de Test", slug="accueil", hero_title="Bienvenue")
    root_page.add_child(instance=home)
    home.save_revision().publish()
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home},
    )
    Site.objects.exclude(root_page=home).delete()
    return home
