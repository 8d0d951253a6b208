"""The child's family file: diet, health notes and photo, edited by the parents from the
child's page (French errors, nothing typed lost), shown to the family service on the
family's back-office page, the photo kept private, small and served only to those who
may see it."""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from family_portal import child_photos
from family_portal.models import Child
from tests.factories import UserFactory

from .backoffice_support import agent_client_fixture, agent_fixture, groups_fixture  # noqa: F401
from .factories import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db


def image_bytes(fmt="JPEG", size=(1600, 1200), exif=True, mode="RGB"):
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 0))
    output = io.BytesIO()
    if fmt == "JPEG" and exif:
        data = Image.Exif()
        data[0x010F] = "Fabricant secret"  # Make
        data[0x0112] = 6  # Orientation: rotated 90°
        image.save(output, fmt, exif=data)
    else:
        image.save(output, fmt)
    return output.getvalue()


def upload(content, name="photo.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/jpeg")


@pytest.fixture
def parent():
    return UserFactory(email="parent@example.org")


@pytest.fixture
def child(parent, home_page):
    family = FamilyFactory(users=[parent])
    return ChildFactory(family=family, first_name="Léa")


@pytest.fixture
def photo_cleanup():
    made = []
    yield made
    for child in made:
        child.refresh_from_db()
        child_photos.remove_photo(child)


def child_data(child, **changes):
    return {
        "first_name": child.first_name,
        "last_name": child.last_name,
        "birth_date": child.birth_date.isoformat(),
        "school_level": child.school_level,
        "school": child.school,
        "diet": "",
        "diet_details": "",
        "health_notes": "",
        **changes,
    }


def test_parents_record_the_diet_and_health_notes(client, parent, child):
    client.force_login(parent)
    url = reverse("family_portal:child_edit", args=[child.pk])
    page = client.get(url)
    assert "Régime alimentaire" in page.text and "Santé, allergies, PAI" in page.text
    assert "Sans porc" in page.text and "PAI alimentaire" in page.text
    response = client.post(
        url,
        child_data(
            child, diet="pai", health_notes="Allergie à l'arachide : stylo dans le sac."
        ),
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.diet == "pai" and child.diet_text == "PAI alimentaire (allergie)"
    assert child.health_notes.startswith("Allergie à l'arachide")


def test_another_diet_needs_its_details_and_nothing_typed_is_lost(
    client, parent, child
):
    client.force_login(parent)
    url = reverse("family_portal:child_edit", args=[child.pk])
    response = client.post(
        url, child_data(child, diet="autre", health_notes="Asthme, ventoline")
    )
    assert response.status_code == 200
    assert "Précisez le régime" in response.text
    assert 'role="alert"' in response.text
    assert "Asthme, ventoline" in response.text  # kept
    assert 'value="autre" selected' in response.text
    child.refresh_from_db()
    assert child.diet == "" and child.health_notes == ""
    response = client.post(
        url, child_data(child, diet="autre", diet_details="Sans bœuf ni porc")
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.diet_text == "Autre régime : Sans bœuf ni porc"


def test_a_photo_is_made_small_stripped_and_kept_private(
    client, parent, child, photo_cleanup, settings
):
    client.force_login(parent)
    response = client.post(
        reverse("family_portal:child_photo_edit", args=[child.pk]),
        {"photo": upload(image_bytes())},
    )
    assert response.status_code == 302
    photo_cleanup.append(child)
    child.refresh_from_db()
    assert child.photo.name.startswith("photos-enfants/")
    # Under the private root, which no URL serves; never under MEDIA_ROOT.
    path = Path(child.photo.path).resolve()
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    with child.photo.open("rb") as handle:
        data = handle.read()
    assert len(data) < 30_000
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        # Turned upright from the EXIF orientation, then at most 320 px a side.
        assert image.size == (240, 320)
        assert not image.getexif()  # nothing of the device or the place
    page = client.get(reverse("family_portal:child_edit", args=[child.pk]))
    photo_url = reverse("family_portal:child_photo", args=[child.pk])
    assert photo_url in page.text and "Retirer la photo" in page.text
    served = client.get(photo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert "private" in served["Cache-Control"]
    assert b"".join(served.streaming_content) == data


def test_a_refused_photo_says_why_in_french(client, parent, child):
    child.health_notes = "Lunettes"
    child.save()
    client.force_login(parent)
    url = reverse("family_portal:child_photo_edit", args=[child.pk])
    pdf = upload(b"%PDF-1.4\n%%EOF\n", "photo.pdf")
    response = client.post(url, {"photo": pdf})
    assert response.status_code == 400
    assert "pas une photo JPEG ou PNG" in response.text
    assert 'aria-invalid="true"' in response.text
    assert "Lunettes" in response.text  # the rest of the page as stored
    broken = upload(b"\xff\xd8\xff" + b"not really a jpeg" * 10)
    assert "illisible" in client.post(url, {"photo": broken}).text
    assert "est vide" in client.post(url, {"photo": upload(b"")}).text
    child.refresh_from_db()
    assert not child.photo


def test_a_transparent_png_is_accepted_and_the_photo_can_be_removed(
    client, parent, child, photo_cleanup
):
    client.force_login(parent)
    url = reverse("family_portal:child_photo_edit", args=[child.pk])
    png = upload(image_bytes("PNG", (400, 400), mode="RGBA"), "photo.png")
    assert client.post(url, {"photo": png}).status_code == 302
    photo_cleanup.append(child)
    child.refresh_from_db()
    name = child.photo.name
    assert child.photo.storage.exists(name)
    assert client.post(url, {"action": "remove"}).status_code == 302
    child.refresh_from_db()
    assert not child.photo and not Child.photo.field.storage.exists(name)


def test_a_parent_cannot_reach_another_familys_child_or_photo(
    client, child, photo_cleanup
):
    child_photos.set_photo(child, child_photos.resized_photo(upload(image_bytes())))
    photo_cleanup.append(child)
    stranger = UserFactory(email="autre@example.org")
    FamilyFactory(users=[stranger])
    client.force_login(stranger)
    for url in (
        reverse("family_portal:child_edit", args=[child.pk]),
        reverse("family_portal:child_photo", args=[child.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("family_portal:child_photo_edit", args=[child.pk]),
        {"photo": upload(image_bytes())},
    )
    assert response.status_code == 404
    # Nor through the back-office's URL.
    response = client.get(reverse("family_backoffice:child_photo", args=[child.pk]))
    assert response.status_code in (302, 403)
    client.logout()
    response = client.get(reverse("family_portal:child_photo", args=[child.pk]))
    assert response.status_code == 302


def test_agents_see_the_file_on_the_familys_page(agent_client, child, photo_cleanup):
    child.diet = "sans_porc"
    child.health_notes = "PAI asthme : ventoline dans le sac"
    child.save()
    child_photos.set_photo(child, child_photos.resized_photo(upload(image_bytes())))
    photo_cleanup.append(child)
    page = agent_client.get(
        reverse("family_portal_family_modeladmin_inspect", args=[child.family.pk])
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Sans porc" in text and "PAI asthme : ventoline dans le sac" in text
    photo_url = reverse("family_backoffice:child_photo", args=[child.pk])
    assert photo_url in text
    assert agent_client.get(photo_url).status_code == 200


def test_a_deleted_familys_photos_go_with_it(child):
    child_photos.set_photo(child, child_photos.resized_photo(upload(image_bytes())))
    name = child.photo.name
    assert child.photo.storage.exists(name)
    child.family.delete()
    assert not Child.photo.field.storage.exists(name)
