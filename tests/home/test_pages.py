"""Home and content pages: creation rules, rendering, the layout's accessibility basics."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from home.models import ContentPage, HomePage


class PageTreeTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        root = Page.get_first_root_node()
        cls.home = HomePage(
            title="Ville de Test", slug="accueil", hero_title="Bienvenue"
        )
        root.add_child(instance=cls.home)
        cls.home.save_revision().publish()
        Site.objects.all().delete()
        Site.objects.create(
            hostname="localhost", root_page=cls.home, is_default_site=True
        )
        cls.image = Image.objects.create(
            title="Cour d'école", file=get_test_image_file()
        )
        cls.document = Document.objects.create(
            title="Règlement intérieur",
            file=SimpleUploadedFile("reglement.pdf", b"%PDF-1.4 test"),
        )

    def setUp(self):
        self.login()

    def test_allowed_parents(self):
        self.assertCanCreateAt(Page, HomePage)
        self.assertCanCreateAt(HomePage, ContentPage)
        self.assertCanCreateAt(ContentPage, ContentPage)
        self.assertCanNotCreateAt(ContentPage, HomePage)
        self.assertAllowedParentPageTypes(ContentPage, {HomePage, ContentPage})

    def test_home_page_renders(self):
        self.assertPageIsRenderable(self.home)

    def test_content_page_can_be_created_with_every_block(self):
        self.assertCanCreate(
            self.home,
            ContentPage,
            nested_form_data(
                {
                    "title": "Restauration scolaire",
                    "slug": "restauration-scolaire",
                    "introduction": "Les repas servis dans les écoles.",
                    "body": streamfield(
                        [
                            ("heading", {"text": "Les menus", "level": "h2"}),
                            ("paragraph", rich_text("<p>Des produits locaux.</p>")),
                            (
                                "image",
                                {
                                    "image": {
                                        "image": self.image.pk,
                                        "alt_text": "Une cour",
                                        "decorative": False,
                                    },
                                    "caption": "La cour",
                                },
                            ),
                            ("document", {"document": self.document.pk, "title": ""}),
                            (
                                "call_to_action",
                                {
                                    "text": "S'inscrire",
                                    "page": self.home.pk,
                                    "url": "",
                                    "description": "",
                                },
                            ),
                            ("faq", {"title": "Questions", "items": streamfield([])}),
                        ]
                    ),
                }
            ),
        )
        page = ContentPage.objects.get(slug="restauration-scolaire")
        self.assertPageIsRenderable(page)

    def test_call_to_action_needs_exactly_one_target(self):
        from wagtail.blocks import StructBlockValidationError

        from home.blocks import CallToActionBlock

        block = CallToActionBlock()
        value = block.to_python(
            {"text": "Go", "page": None, "url": "", "description": ""}
        )
        with self.assertRaises(StructBlockValidationError):
            block.clean(value)


def _content_page(home, **fields):
    page = ContentPage(
        title="Vie scolaire", slug="vie-scolaire", show_in_menus=True, **fields
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_layout_is_accessible_and_french(client, home_page):
    page = _content_page(
        home_page,
        body=[
            ("heading", {"text": "Les écoles", "level": "h2"}),
            (
                "faq",
                {
                    "title": "Questions",
                    "items": [{"question": "Quand ?", "answer": "<p>En juin.</p>"}],
                },
            ),
        ],
    )
    html = client.get(page.url).content.decode()
    assert '<html lang="fr"' in html
    assert 'class="skip-link" href="#contenu"' in html
    assert 'id="contenu"' in html
    assert 'aria-label="Menu principal"' in html
    assert 'role="contentinfo"' in html
    # The current page is announced in the menu and the breadcrumb.
    assert '<a href="/vie-scolaire/" aria-current="page">Vie scolaire</a>' in html
    assert 'aria-label="Fil d\'Ariane"' in html
    # The FAQ works without JavaScript.
    assert "<details>" in html and "<summary>Quand ?</summary>" in html
    # No resource from another host.
    assert "https://" not in html.split("<body")[0]


def test_menu_lists_only_live_pages_shown_in_menus(client, home_page):
    _content_page(home_page)
    hidden = ContentPage(title="Cachée", slug="cachee", show_in_menus=False)
    home_page.add_child(instance=hidden)
    hidden.save_revision().publish()
    draft = ContentPage(
        title="Brouillon", slug="brouillon", show_in_menus=True, live=False
    )
    home_page.add_child(instance=draft)
    html = client.get("/").content.decode()
    assert "Vie scolaire" in html
    assert "Cachée" not in html
    assert "Brouillon" not in html


def test_home_page_query_budget(client, home_page, django_assert_max_num_queries):
    for index in range(10):
        page = ContentPage(
            title=f"Rubrique {index}", slug=f"rubrique-{index}", show_in_menus=True
        )
        home_page.add_child(instance=page)
        page.save_revision().publish()
    home_page.highlights.create(page=page, text="Une rubrique")
    home_page.save_revision().publish()
    client.get("/")  # warm the site root cache
    with django_assert_max_num_queries(12):
        response = client.get("/")
    assert response.status_code == 200
    assert "Rubrique 9" in response.content.decode()


@pytest.mark.parametrize("path", ["/page-qui-n-existe-pas/"])
def test_not_found_page_is_french(client, home_page, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
