"""Ids nobody could have been given ("abc", a 50-digit number SQLite cannot compare, a
digit that is not ASCII): a 404, or the form's "not a valid choice", never a 500.

Every URL of the family service is read from the URL resolver (as in the access
matrix), each id of its path is replaced by bad ones, then each query parameter and
form field that carries an id is tried too."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.family_portal.test_wizard import Wizard
from tests.security.test_access_matrix import targets

pytestmark = pytest.mark.django_db

BAD_IDS = ["9" * 50, "abc", "٣", "-1", "0"]
BAD_UUIDS = ["abc", "9" * 50, "1234"]


def client_for(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def with_bad_ids(path, scene):
    """The path with each of its ids (numbers, the references) replaced by bad ones."""
    references = {str(scene["enrolment"].reference), str(scene["batch"].pk)}
    pieces = path.strip("/").split("/")
    for index, piece in enumerate(pieces):
        if piece.isdigit():
            bad = BAD_IDS[:1]  # the URL patterns only let digits through
        elif piece in references:
            bad = BAD_UUIDS
        else:
            continue
        for value in bad:
            changed = pieces[:index] + [value] + pieces[index + 1 :]
            yield "/" + "/".join(changed) + "/"


def test_every_url_with_a_bad_id_is_a_404(scene, agent):
    found, _ = targets(scene)
    owner, staff = client_for(scene["owner"]), client_for(agent)
    animateur = client_for(scene["animateur"])
    tried = 0
    for target in found:
        # The check-in pages refuse parents whatever the ids: asked by their animateur.
        check_in = target.name.startswith("attendance:")
        client = staff if target.staff else animateur if check_in else owner
        for path in with_bad_ids(target.path, scene):
            response = client.get(path)
            assert response.status_code in (302, 404), (path, response.status_code)
            response = client.post(path, {})
            assert response.status_code in (302, 403, 404, 405), (
                path,
                response.status_code,
            )
            tried += 1
    assert tried > 20  # the walk found ids to spoil


@pytest.mark.parametrize("value", BAD_UUIDS)
def test_the_result_page_with_a_bad_reference_is_a_404(scene, value):
    owner = client_for(scene["owner"])
    url = reverse("family_portal:enrolment_result")
    assert owner.get(url, {"i": value}).status_code == 404
    good = str(scene["enrolment"].reference)
    assert owner.get(url, {"i": [good, value]}).status_code == 404
    assert owner.get(url, {"i": good}).status_code == 200


@pytest.mark.parametrize("value", BAD_IDS)
def test_admin_list_filters_with_a_bad_id_are_404s(scene, agent, value):
    staff = client_for(agent)
    url = reverse("family_portal_enrolment_modeladmin_index")
    for parameter in (
        "activite",
        "period__id__exact",
        "period__activity_id",
        "child__family__id__exact",
    ):
        response = staff.get(url, {parameter: value})
        if value in {"-1", "0"} and parameter not in {"activite", "period__id__exact"}:
            # A plain lookup on an integer: a number, only matching nothing.
            assert response.status_code == 200, (parameter, response.status_code)
        else:
            assert response.status_code == 404, (parameter, response.status_code)
    assert staff.get(url, {"period__id__exact": scene["period"].pk}).status_code == 200


@pytest.mark.parametrize("value", BAD_IDS)
def test_other_query_parameters_with_a_bad_id(scene, agent, value):
    staff = client_for(agent)
    bareme = scene["bareme"]
    export = reverse("wagtailsnippets_activities_bareme:export", args=[bareme.pk])
    assert staff.get(export, {"version": value}).status_code == 404
    create = reverse("family_portal_child_modeladmin_create")
    assert staff.get(create, {"family": value}).status_code == 200


@pytest.mark.parametrize("value", BAD_IDS)
def test_id_form_fields_say_the_choice_is_not_valid(scene, agent, value):
    family, period = scene["family"], scene["period"]
    staff = client_for(agent)
    counter = reverse("family_backoffice:counter_enrol", args=[family.pk])
    for data in (
        {"children": value, "period": period.pk, "qf_source": "none"},
        {"children": scene["child"].pk, "period": value, "qf_source": "none"},
    ):
        response = staff.post(counter, data)
        assert response.status_code == 200, response.status_code
        assert "Sélectionnez un choix valide" in response.content.decode()
    batches = reverse("certificates:batch_new")
    for data in (
        {"activity": value},
        {"activity": period.activity_id, "period": value},
    ):
        response = staff.post(batches, data)
        assert response.status_code == 200, response.status_code
        assert "Sélectionnez un choix valide" in response.content.decode()

    owner = client_for(scene["owner"])
    wizard = Wizard(owner, scene["activity"])
    wizard.start()
    for data in (
        {"children": [value], "period": period.pk},
        {"children": [scene["child"].pk], "period": value},
    ):
        response = wizard.post("enfants", data)
        assert response.status_code == 200, response.status_code
        assert "Sélectionnez un choix valide" in response.content.decode()
