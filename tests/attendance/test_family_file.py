"""What the check-in list shows of the family file (photo, diet, health notes) and to
whom: the animateurs of the sites receiving the child, never a parent, an animateur of
another site, nor anything else of the family."""

import pytest
from django.urls import reverse

from family_portal import child_photos
from family_portal.attendance.models import AttendanceSite
from tests.family_portal.test_child_file import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def lea_file(enrolments):
    child = enrolments["Léa"].child
    child.diet = "sans_porc"
    child.health_notes = "Allergie aux kiwis <b>grave</b>"
    child.save()
    child_photos.set_photo(child, child_photos.resized_photo(upload(image_bytes())))
    yield child
    child.refresh_from_db()
    child_photos.remove_photo(child)


def test_the_list_shows_photo_diet_and_health_notes(
    client, animateur, site, enrolments, lunch, day, booked, lea_file
):
    client.force_login(animateur)
    args = [site.pk, lunch.pk, day]
    page = client.get(reverse("attendance:list", args=args)).text
    photo = reverse("attendance:photo", args=[site.pk, enrolments["Léa"].pk])
    assert f'src="{photo}?v={lea_file.photo_version}"' in page
    assert "Régime : Sans porc" in page
    assert "Allergie aux kiwis &lt;b&gt;grave&lt;/b&gt;" in page  # escaped
    # Tom has none of these: no badge, no photo.
    assert page.count("Régime :") == 1 and page.count('class="child__photo"') == 1
    state = client.get(reverse("attendance:state", args=args)).json()
    assert state["photos"] == [f"{photo}?v={lea_file.photo_version}"]
    served = client.get(photo)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert "private" in served["Cache-Control"]


def test_no_other_family_data_on_the_list(
    client, animateur, site, enrolments, lunch, day, booked, lea_file
):
    family = lea_file.family
    client.force_login(animateur)
    page = client.get(reverse("attendance:list", args=[site.pk, lunch.pk, day])).text
    guardian = family.guardians.get()
    for secret in (
        family.street,
        family.postcode,
        guardian.birth_name,
        "quotient",
        "€",
        "justificatif",
        lea_file.birth_date.strftime("%d/%m/%Y"),
        lea_file.photo.name,  # the file's own name, never a public URL
        "/media/",
    ):
        assert secret not in page, secret


def test_photos_only_for_the_animateurs_of_the_childs_site(
    client, animateur, parent, site, enrolments, lunch, day, booked, lea_file
):
    lea = enrolments["Léa"]
    photo = reverse("attendance:photo", args=[site.pk, lea.pk])
    # A parent, even Léa's own, gets no check-in URL.
    client.force_login(parent)
    assert client.get(photo).status_code == 403
    # An animateur of another site: refused, even for its own site's URL of Léa when
    # that site does not receive her school.
    other = AttendanceSite.objects.create(name="Centre des Pins", schools="École Jaune")
    other.schedules.add(lunch.schedule)
    from django.contrib.auth.models import Group

    from family_portal.attendance.groups import ANIMATEURS_GROUP
    from tests.factories import UserFactory

    stranger = UserFactory(username="autre.animateur")
    stranger.groups.add(Group.objects.get(name=ANIMATEURS_GROUP))
    other.animateurs.add(stranger)
    client.force_login(stranger)
    assert client.get(photo).status_code == 403
    assert (
        client.get(reverse("attendance:photo", args=[other.pk, lea.pk])).status_code
        == 404
    )
    # Tom has no photo: 404 for the animateur of his site.
    client.force_login(animateur)
    tom = reverse("attendance:photo", args=[site.pk, enrolments["Tom"].pk])
    assert client.get(tom).status_code == 404
    client.logout()
    assert client.get(photo).status_code == 302
