"""The communication team's group: pages, and the Images and Documents libraries."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PillowImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from home.demo import EDITORS_GROUP, ensure_groups
from tests.factories import UserFactory


@pytest.fixture
def editor_client(client, home_page):
    groups = ensure_groups(home_page)
    ensure_groups(home_page)  # idempotent
    user = UserFactory(username="editrice")
    user.groups.add(groups[EDITORS_GROUP])
    client.force_login(user)
    return client


def png() -> bytes:
    buffer = io.BytesIO()
    PillowImage.new("RGB", (8, 8), "navy").save(buffer, "PNG")
    return buffer.getvalue()


def test_an_editor_has_the_images_and_documents_menus(editor_client):
    html = editor_client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("wagtailimages:index") in html
    assert reverse("wagtaildocs:index") in html
    assert editor_client.get(reverse("wagtailimages:index")).status_code == 200
    assert editor_client.get(reverse("wagtaildocs:index")).status_code == 200


def test_an_editor_uploads_an_image_and_a_document(editor_client):
    response = editor_client.post(
        reverse("wagtailimages:add"),
        {
            "title": "Cour de l'école",
            "file": SimpleUploadedFile("cour.png", png(), "image/png"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert get_image_model().objects.filter(title="Cour de l'école").exists()
    response = editor_client.post(
        reverse("wagtaildocs:add"),
        {
            "title": "Règlement intérieur",
            "file": SimpleUploadedFile("reglement.pdf", b"%PDF-1.4\n%%EOF\n"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert get_document_model().objects.filter(title="Règlement intérieur").exists()
    chooser = editor_client.get(reverse("wagtailimages_chooser:choose"))
    assert chooser.status_code == 200
