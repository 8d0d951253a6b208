"""One account, one family, enforced by the database (issue 15, point 6): "créer ma
famille" sent twice at once from one account makes one family, the second request gets
the family space with a French message instead of an error, and the migration that adds
the constraint first detaches an account from the families it had too many of.
(tests/load/test_family_creation_concurrency.py sends them at once on PostgreSQL.)"""

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from family_portal import views
from family_portal.models import Family, FamilyAccount
from tests.factories import UserFactory

from .factories import FamilyFactory

CREATE_FAMILY = {
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
}


@pytest.mark.django_db
def test_the_database_refuses_a_second_family_for_an_account():
    family = FamilyFactory()
    user = family.users.get()
    other = FamilyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        other.users.add(user)
    # A family may still have several accounts (both parents).
    family.users.add(UserFactory())
    assert family.users.count() == 2


@pytest.mark.django_db
def test_a_second_create_racing_the_first_gets_the_family_space(
    client, home_page, monkeypatch
):
    """The request checked "no family yet" before the other one created it: the insert
    is refused by the database, and the parent is taken to the family space."""
    user = UserFactory(email="durand@example.org")
    client.force_login(user)
    first = client.post(reverse("family_portal:family_create"), CREATE_FAMILY)
    assert first.status_code == 302

    real_for_user = Family.for_user
    checks = []

    def for_user(cls, user):
        checks.append(user)
        # The first check ran before the other request committed its family.
        return None if len(checks) == 1 else real_for_user(user)

    monkeypatch.setattr(views.Family, "for_user", classmethod(for_user))
    second = client.post(reverse("family_portal:family_create"), CREATE_FAMILY)

    assert second.status_code == 302
    assert second["Location"] == reverse("family_portal:dashboard")
    assert [str(m) for m in get_messages(second.wsgi_request)][-1] == (
        "Votre famille était déjà enregistrée (le formulaire a été envoyé plusieurs "
        "fois) : la voici."
    )
    assert Family.objects.count() == 1
    assert Family.objects.get().guardians.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_fullest_family_and_detaches_the_others(capsys):
    executor = MigrationExecutor(connection)
    before = [("family_portal", "0011_person_names")]
    after = [("family_portal", "0012_one_family_per_account")]
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        OldFamily = apps.get_model("family_portal", "Family")
        User = apps.get_model("auth", "User")
        Child = apps.get_model("family_portal", "Child")
        parent = User.objects.create(username="double")
        partner = User.objects.create(username="conjoint")
        alone = User.objects.create(username="seul")
        empty = OldFamily.objects.create(name="Famille Double (vide)")
        full = OldFamily.objects.create(name="Famille Double")
        later_empty = OldFamily.objects.create(name="Famille Double (encore)")
        for family in (empty, full, later_empty):
            family.users.add(parent)
        later_empty.users.add(partner)
        OldFamily.objects.create(name="Famille Seule").users.add(alone)
        Child.objects.create(
            family=full, first_name="Léa", last_name="Double", birth_date="2018-03-01"
        )

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    links = set(FamilyAccount.objects.values_list("user__username", "family__name"))
    assert links == {
        ("double", "Famille Double"),
        ("conjoint", "Famille Double (encore)"),
        ("seul", "Famille Seule"),
    }
    # Nothing deleted: the detached families keep what they hold, for agents to review.
    assert Family.objects.count() == 4
    output = capsys.readouterr().out
    assert f"detached from family {empty.pk}" in output
    assert f"detached from family {later_empty.pk}" in output
