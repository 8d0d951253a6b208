"""The family service's menu in the admin: each screen once."""

import pytest

from family_portal.wagtail_hooks import FamilyPortalGroup

pytestmark = pytest.mark.django_db


def test_each_screen_is_listed_once():
    items = FamilyPortalGroup().get_submenu_items()
    urls = [str(item.url) for item in items]
    assert len(urls) == len(set(urls)), sorted(u for u in urls if urls.count(u) > 1)
    labels = [str(item.label) for item in items]
    assert labels.count("Campagne annuelle du QF") == 1
