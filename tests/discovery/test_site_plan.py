"""The plan du site: the site's live public pages as a nested list, linked from every
page's footer."""

import pytest
from django.urls import reverse
from wagtail.models import PageViewRestriction

from tests.factories import ContentPageFactory
from tests.family_portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db


def test_the_page_tree_nested_in_the_editors_order(client, home_page, activities):
    school = ContentPageFactory(parent=home_page, title="Vie scolaire", slug="ecole")
    ContentPageFactory(parent=school, title="Les menus", slug="menus")
    draft = ContentPageFactory(parent=home_page, title="Brouillon", slug="brouillon")
    draft.unpublish()
    private = ContentPageFactory(parent=home_page, title="Privée", slug="privee")
    ContentPageFactory(parent=private, title="Sous une privée", slug="sous")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.LOGIN
    )
    response = client.get(reverse("site_plan"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Plan du site</h1>" in html
    tree = html[html.index('class="site-plan__tree"') :]
    # Activities under their list, the menus under the school page.
    assert tree.index("Activités") < tree.index("Restauration scolaire")
    assert tree.index('href="/ecole/"') < tree.index('href="/ecole/menus/"')
    assert tree.count("<ul>") >= 2
    for hidden in ("Brouillon", "Privée", "Sous une privée"):
        assert hidden not in html
    assert reverse("discovery:search") in html
    assert reverse("family_portal:dashboard") in html


def test_linked_from_the_footer_of_every_page(client, home_page, activities):
    family = FamilyFactory()
    pages = ["/", activities["canteen"].url, reverse("discovery:search")]
    for url in pages:
        html = client.get(url).content.decode()
        footer = html[html.index("<footer") :]
        assert f'<a href="{reverse("site_plan")}">Plan du site</a>' in footer, url
    client.force_login(family.users.get())
    html = client.get(reverse("family_portal:dashboard")).content.decode()
    assert "Plan du site" in html[html.index("<footer") :]
