"""People's names: normalised (NFC, ordinary spaces) and refused with a French message
when they hold an invisible or direction-changing character (``Eve\u202egnp.exe``
prints reversed on a certificate; ``Gi\u200braud`` escapes every search), in every
form where a name is typed, every save, and the identity sent to API Particulier."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from family_portal.models import Child, Family, Guardian
from home import names
from qf_connector.errors import InvalidInput
from qf_connector.identity import Identity
from tests.factories import UserFactory
from tests.family_portal.backoffice_support import (
    agent_client_fixture,  # noqa: F401 - fixture
    agent_fixture,  # noqa: F401 - fixture
    groups_fixture,  # noqa: F401 - fixture
)
from tests.family_portal.factories import ChildFactory, FamilyFactory, GuardianFactory
from tests.family_portal.test_wizard import Wizard, choose_children, identity_data

HOSTILE = [
    ("Eve\u202egnp.exe", "U+202E"),  # RIGHT-TO-LEFT OVERRIDE
    ("Eve\u2067nv\u2069", "U+2067"),  # RIGHT-TO-LEFT ISOLATE
    ("Gi\u200fraud", "U+200F"),  # RIGHT-TO-LEFT MARK
    ("Gi\u200braud", "U+200B"),  # ZERO WIDTH SPACE
    ("Gi\u200draud", "U+200D"),  # ZERO WIDTH JOINER
    ("Gi\u2060raud", "U+2060"),  # WORD JOINER
    ("\ufeffGiraud", "U+FEFF"),  # BYTE ORDER MARK
    ("Gi\u00adraud", "U+00AD"),  # SOFT HYPHEN
    ("Gi\x00raud", "U+0000"),  # NUL
    ("Gi\nraud", "U+000A"),  # line feed
    ("Gi\x1braud", "U+001B"),  # escape
    ("Gi\u2028raud", "U+2028"),  # LINE SEPARATOR
    ("Gi\u3164raud", "U+3164"),  # HANGUL FILLER
    ("Gi\ue000raud", "U+E000"),  # private use
]
IDS = [code for _, code in HOSTILE]
FRENCH = "caractère invisible ou qui inverse le sens du texte"


@pytest.mark.parametrize(("value", "code"), HOSTILE, ids=IDS)
def test_the_validator_names_the_character(value, code):
    with pytest.raises(ValidationError) as error:
        names.validate_person_name(names.normalise(value))
    message = " ".join(error.value.messages)
    assert FRENCH in message and code in message


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ame\u0301lie", "Amélie"),  # decomposed, as some keyboards send it
        ("  Jean\u00a0\u00a0Pierre ", "Jean Pierre"),  # no-break spaces, doubled
        ("Marie\u2009Claire", "Marie Claire"),  # thin space
        ("N\u2019Diaye", "N\u2019Diaye"),  # a typographic apostrophe is a letter's
        ("Nguyễn", "Nguyễn"),
        ("Ζωή", "Ζωή"),
    ],
)
def test_real_names_are_normalised_and_accepted(typed, stored):
    assert names.normalise(typed) == stored
    names.validate_person_name(names.normalise(typed))


@pytest.fixture
def parent(client, home_page):
    family = FamilyFactory(name="Famille Giraud")
    guardian = GuardianFactory(family=family)
    child = ChildFactory(family=family, first_name="Léa", last_name="Giraud")
    client.force_login(family.users.get())
    return family, guardian, child


def guardian_data(birth_name="Giraud", first_name="Sarah"):
    return {
        "birth_name": birth_name,
        "first_name": first_name,
        "sex": "F",
        "birth_date": "1985-04-02",
        "birth_commune_code": "Orléans (45)",
        "is_allocataire": "on",
    }


def assert_refused(response, code):
    html = response.content.decode()
    assert response.status_code == 200
    assert FRENCH in html and code in html


def test_the_family_space_forms(client, parent):
    family, guardian, child = parent
    response = client.post(
        reverse("family_portal:child_edit", args=[child.pk]),
        {
            "first_name": "Eve\u202egnp.exe",
            "last_name": "Giraud",
            "birth_date": "2018-05-01",
        },
    )
    assert_refused(response, "U+202E")
    response = client.post(
        reverse("family_portal:guardian_edit", args=[guardian.pk]),
        guardian_data(birth_name="Gi\u200braud"),
    )
    assert_refused(response, "U+200B")
    response = client.post(
        reverse("family_portal:family_edit"),
        {
            "name": "Famille\u2066 Giraud",
            "street": "1 rue Haute",
            "postcode": "45999",
            "city": "Ville de Test",
        },
    )
    assert_refused(response, "U+2066")
    child.refresh_from_db()
    guardian.refresh_from_db()
    family.refresh_from_db()
    assert (child.first_name, guardian.birth_name, family.name) == (
        "Léa",
        guardian.birth_name,
        "Famille Giraud",
    )
    assert names.forbidden_characters(guardian.birth_name) == []

    # A decomposed accent is stored composed.
    response = client.post(
        reverse("family_portal:child_add"),
        {
            "first_name": "Ame\u0301lie",
            "last_name": "Giraud",
            "birth_date": "2019-05-01",
        },
    )
    assert response.status_code == 302
    assert family.children.filter(first_name="Amélie").exists()


def test_creating_a_family(client, home_page):
    client.force_login(UserFactory(email="nouveau@example.org"))
    data = {
        "famille-name": "Famille Durand",
        "famille-street": "3 allée des Lilas",
        "famille-postcode": "45999",
        "famille-city": "Ville de Test",
        "responsable-birth_name": "Durand",
        "responsable-first_name": "Paul\u202e",
        "responsable-sex": "M",
        "responsable-birth_date": "1985-04-02",
        "responsable-birth_commune_code": "Orléans (45)",
    }
    response = client.post(reverse("family_portal:family_create"), data)
    assert_refused(response, "U+202E")
    assert not Family.objects.exists()
    # What was typed is kept (the field shows it for correction).
    assert 'value="Durand"' in response.content.decode()


def test_the_wizards_identity_step(client, canteen, giraud_family, api_particulier):
    from qf_connector.models import ApiCallLog

    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    wizard.post("quotient", {"source": "api"})
    data = identity_data(giraud_family)
    response = wizard.post("caf-msa", data | {"first_names": "Sarah\u200d Marie"})
    assert_refused(response, "U+200D")
    assert not ApiCallLog.objects.exists()  # nothing sent to API Particulier


def test_the_agents_forms(agent_client, home_page):
    child = ChildFactory(first_name="Jules", last_name="Roux")
    guardian = GuardianFactory(family=child.family)
    response = agent_client.post(
        reverse("family_portal_child_modeladmin_edit", args=[child.pk]),
        {
            "family": child.family.pk,
            "first_name": "Jules",
            "last_name": "Ro\u202eux",
            "birth_date": "2017-03-03",
        },
    )
    assert_refused(response, "U+202E")
    response = agent_client.post(
        reverse("family_portal_guardian_modeladmin_edit", args=[guardian.pk]),
        {"family": child.family.pk, **guardian_data(first_name="Pa\u200bul")},
    )
    assert_refused(response, "U+200B")
    child.refresh_from_db()
    assert child.last_name == "Roux"


def test_every_save_stores_names_normalised_and_full_clean_refuses(home_page):
    """Imports and scripts that save models directly."""
    child = ChildFactory(first_name="Ame\u0301lie", last_name="  Le\u00a0Goff ")
    child.refresh_from_db()
    assert (child.first_name, child.last_name) == ("Amélie", "Le Goff")
    child.first_name = "Eve\u202egnp.exe"
    with pytest.raises(ValidationError) as error:
        child.full_clean()
    assert "first_name" in error.value.message_dict
    guardian = Guardian(family=child.family, birth_name="Gi\u200braud")
    with pytest.raises(ValidationError) as error:
        guardian.full_clean()
    assert "birth_name" in error.value.message_dict
    assert Child.objects.filter(first_name="Amélie").exists()


def test_the_agents_search_finds_a_decomposed_name(agent_client, home_page):
    family = FamilyFactory(name="Famille Lefèvre")
    ChildFactory(family=family, first_name="Zoé", last_name="Lefèvre")
    response = agent_client.get(
        reverse("family_backoffice:counter_search"), {"q": "Lefe\u0300vre"}
    )
    assert "Famille Lefèvre" in response.content.decode()


@pytest.mark.parametrize(("value", "code"), HOSTILE[:8], ids=IDS[:8])
def test_the_identity_sent_to_api_particulier(value, code):
    with pytest.raises(InvalidInput) as error:
        Identity.create(
            birth_name=value,
            first_names=["Sarah"],
            sex="F",
            birth_date="1985-04-02",
            birth_commune="45234",
        )
    assert error.value.field == "birth_name"
    assert FRENCH in error.value.message and code in error.value.message


def test_the_identity_sent_to_api_particulier_is_nfc():
    identity = Identity.create(
        birth_name="Lefe\u0300vre",
        first_names=["Ame\u0301lie"],
        sex="F",
        birth_date="1985-04-02",
        birth_commune="45234",
    )
    assert identity.birth_name == "Lefèvre" and identity.first_names == ("Amélie",)


def test_the_certificates_signatory(admin_client, home_page):
    """The name printed under every certificate, typed by an editor."""
    from wagtail.models import Site

    from home.models import CommuneSettings
    from tests.home.test_settings import _edit_url, _form

    site = Site.objects.get(is_default_site=True)
    response = admin_client.post(
        _edit_url(site), _form(signatory_name="Claire\u202e Dubois")
    )
    assert_refused(response, "U+202E")
    assert not CommuneSettings.objects.filter(signatory_name__contains="\u202e")


def test_staff_accounts(admin_client, home_page):
    """Agents' and editors' names, printed in the audit trail."""
    from django.contrib.auth import get_user_model

    agent = UserFactory(username="agent-accueil", first_name="Marie", last_name="Roux")
    data = {
        "username": "agent-accueil",
        "email": "accueil@example.org",
        "first_name": "Marie",
        "last_name": "Ro\u2067ux",
        "is_active": "on",
    }
    url = reverse("wagtailusers_users:edit", args=[agent.pk])
    assert_refused(admin_client.post(url, data), "U+2067")
    assert get_user_model().objects.get(pk=agent.pk).last_name == "Roux"

    response = admin_client.post(url, data | {"last_name": "Le\u00a0Roux"})
    assert response.status_code == 302
    assert get_user_model().objects.get(pk=agent.pk).last_name == "Le Roux"

    response = admin_client.post(
        reverse("wagtailusers_users:add"),
        {
            "username": "agent-neuf",
            "email": "neuf@example.org",
            "first_name": "Pa\u200bul",
            "last_name": "Neuf",
            "password1": "un mot de passe très long 2027",
            "password2": "un mot de passe très long 2027",
        },
    )
    assert_refused(response, "U+200B")
    assert not get_user_model().objects.filter(username="agent-neuf").exists()
