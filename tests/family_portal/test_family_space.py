"""The family space: who may see what, creating a family, French validation."""

import pytest
from django.urls import reverse

from family_portal.models import Family
from tests.factories import UserFactory

from .factories import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, home_page):
    response = client.get(reverse("family_portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_new_parent_creates_the_family_with_french_errors(client, home_page):
    user = UserFactory(email="nouveau@example.org")
    client.force_login(user)
    response = client.get(reverse("family_portal:dashboard"))
    assert response["Location"] == reverse("family_portal:family_create")

    response = client.post(
        reverse("family_portal:family_create"),
        {"famille-name": "Famille Durand", "responsable-birth_name": "Durand"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Champ requis." in html
    assert 'role="alert"' in html
    assert 'aria-invalid="true"' in html
    # What was typed is kept.
    assert 'value="Famille Durand"' in html
    assert not Family.objects.exists()

    response = client.post(
        reverse("family_portal:family_create"),
        {
            "famille-name": "Famille Durand",
            "famille-street": "3 allée des Lilas",
            "famille-postcode": "45999",
            "famille-city": "Ville de Test",
            "responsable-birth_name": "Durand",
            "responsable-first_name": "Paul",
            "responsable-sex": "M",
            "responsable-birth_date": "1985-04-02",
            "responsable-birth_commune_code": "Orléans (45)",
            "responsable-is_allocataire": "on",
        },
    )
    assert response.status_code == 302
    family = Family.for_user(user)
    assert family.name == "Famille Durand"
    guardian = family.guardians.get()
    assert guardian.first_names == ["Paul"]
    assert guardian.birth_commune_code == "45234"  # Orléans, resolved from its name


def test_a_staff_account_cannot_hold_a_family(client, home_page):
    from django.contrib.auth.models import Permission

    agent = UserFactory(username="agent-guichet")
    agent.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(agent)
    for name in ("dashboard", "family_create", "child_add"):
        response = client.get(reverse(f"family_portal:{name}"))
        assert response.status_code == 403, name
        html = response.content.decode()
        assert "Espace réservé aux familles" in html
        assert 'href="/admin/"' in html
    response = client.post(
        reverse("family_portal:family_create"),
        {
            "famille-name": "Famille Guichet",
            "famille-street": "1 place de la Mairie",
            "famille-postcode": "45999",
            "famille-city": "Ville de Test",
            "responsable-birth_name": "Guichet",
            "responsable-first_name": "Agent",
            "responsable-sex": "F",
            "responsable-birth_date": "1980-01-01",
            "responsable-birth_commune_code": "Orléans (45)",
        },
    )
    assert response.status_code == 403
    assert not Family.objects.exists()


def test_guardian_born_abroad_needs_a_country(client, home_page):
    family = FamilyFactory()
    client.force_login(family.users.get())
    response = client.post(
        reverse("family_portal:guardian_add"),
        {
            "birth_name": "Silva",
            "first_name": "Ana",
            "sex": "F",
            "birth_date": "1990-01-01",
            "born_abroad": "on",
        },
    )
    assert "Indiquez le pays de naissance." in response.content.decode()


def test_parent_cannot_reach_another_familys_child(client, home_page):
    child = ChildFactory()
    intruder = FamilyFactory()
    client.force_login(intruder.users.get())
    response = client.get(reverse("family_portal:child_edit", args=[child.pk]))
    assert response.status_code == 404
    response = client.post(
        reverse("family_portal:child_edit", args=[child.pk]),
        {"first_name": "Pirate", "last_name": "X", "birth_date": "2015-01-01"},
    )
    assert response.status_code == 404
    child.refresh_from_db()
    assert child.first_name != "Pirate"


def test_dashboard_query_budget(client, home_page, django_assert_max_num_queries):
    family = FamilyFactory()
    GuardianFactory(family=family)
    for _ in range(8):
        ChildFactory(family=family)
    client.force_login(family.users.get())
    client.get(reverse("family_portal:dashboard"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("family_portal:dashboard"))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")


def test_demo_parent_signs_in_with_email(client):
    from django.core.management import call_command

    call_command("load_demo")
    response = client.post(
        reverse("account_login"),
        {"login": "parent@demo.example.org", "password": "demo-parent-2026"},
    )
    assert response.status_code == 302
    response = client.get(reverse("family_portal:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Famille Giraud" in html
    assert "Sarah" in html and "Léa" in html


def test_at_most_two_guardians(client, home_page):
    family = FamilyFactory()
    GuardianFactory(family=family)
    GuardianFactory(family=family, first_name="Marc", sex="M")
    client.force_login(family.users.get())
    response = client.get(reverse("family_portal:guardian_add"), follow=True)
    assert "au plus deux responsables légaux" in response.content.decode()
    assert family.guardians.count() == 2
