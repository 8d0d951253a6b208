"""One account, one family, enforced by the database (issue 15).

The many-to-many field's own table becomes the FamilyAccount model's, unchanged, and
gets a unique constraint on the account. Before it, an account linked to several families
(two "créer ma famille" sent at once made two) keeps the family that holds the most
enrolments, then the most children, then the oldest; it is detached from the others. No
family is deleted: a detached family keeps what it holds, listed in the migration's
output for the family service to review (its other accounts, if any, stay linked).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count


def keep_one_family_per_account(apps, schema_editor):
    Family = apps.get_model("family_portal", "Family")
    Link = Family.users.through
    duplicated = (
        Link.objects.values("user_id")
        .annotate(families=Count("family_id"))
        .filter(families__gt=1)
        .values_list("user_id", flat=True)
    )
    for user_id in list(duplicated):
        families = (
            Family.objects.filter(
                pk__in=Link.objects.filter(user_id=user_id).values("family_id")
            )
            .annotate(
                enrolment_count=Count("children__enrolments", distinct=True),
                child_count=Count("children", distinct=True),
            )
            .order_by("-enrolment_count", "-child_count", "created_at", "pk")
        )
        kept, *detached = families
        Link.objects.filter(user_id=user_id, family__in=detached).delete()
        for family in detached:
            print(  # noqa: T201 - the operator reads it in the migration's output
                f"\n  Account {user_id}: kept family {kept.pk}, detached from family "
                f"{family.pk} ({family.enrolment_count} enrolments, "
                f"{family.child_count} children)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("family_portal", "0011_person_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(keep_one_family_per_account, migrations.RunPython.noop),
        # The table exists: only Django's picture of it changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="FamilyAccount",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "family",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="family_portal.family",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "compte de la famille",
                        "verbose_name_plural": "comptes de la famille",
                        "db_table": "family_portal_family_users",
                        # What the many-to-many table had; dropped below.
                        "unique_together": {("family", "user")},
                    },
                ),
                migrations.AlterField(
                    model_name="family",
                    name="users",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="families",
                        through="family_portal.FamilyAccount",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="comptes",
                    ),
                ),
            ],
        ),
        # The pair's unique index is implied by the account's own.
        migrations.AlterUniqueTogether(name="familyaccount", unique_together=set()),
        migrations.AddConstraint(
            model_name="familyaccount",
            constraint=models.UniqueConstraint(
                fields=("user",), name="one_family_per_account"
            ),
        ),
    ]
