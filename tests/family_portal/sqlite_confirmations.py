"""Simultaneous enrolment confirmations on a SQLite file, one thread per parent, as
under a threaded web server (``python -m tests.family_portal.sqlite_confirmations
DATABASE_FILE settings|django-defaults FAMILIES``; prints one JSON line).

Run in its own process by test_sqlite_concurrency.py: the test suite's own database is
in memory, and the point is the configuration of a SQLite *file* (``SQLITE_OPTIONS``).
"""

import json
import os
import sys
import threading


def main(database_file: str, options: str, families: int) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portail_site.test_settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{database_file}"
    import django
    from django.conf import settings

    django.setup()
    if options == "django-defaults":  # what the settings said before SQLITE_OPTIONS
        settings.DATABASES["default"]["OPTIONS"] = {}

    from django.db import connection
    from wagtail.models import Page, Site

    from activities.services import import_document
    from family_portal import enrolment
    from family_portal.models import Enrolment
    from home.models import HomePage
    from tests.activities.examples import EXAMPLES_DIR, example_document
    from tests.activities.factories import ActivityIndexPageFactory, ActivityPageFactory
    from tests.dates import in_force
    from tests.family_portal.certificate_helpers import api_quotient, commune
    from tests.family_portal.factories import ChildFactory, FamilyFactory

    home = HomePage(title="Ville de Test", slug="accueil", hero_title="Bienvenue")
    Page.get_first_root_node().add_child(instance=home)
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home},
    )
    version, _ = import_document(
        in_force(example_document(EXAMPLES_DIR / "champcevinel-restauration.json"))
    )
    index = ActivityIndexPageFactory(parent=home, slug="activites")
    canteen = ActivityPageFactory(
        parent=index, slug="restauration", baremes=[version.bareme]
    )
    period = canteen.periods.get()
    town = commune()
    parents = []
    for _ in range(families):
        family = FamilyFactory()
        child = ChildFactory(family=family)
        choice = enrolment.QfChoice(Enrolment.QfSource.API, api_quotient(family))
        parents.append((family, child, choice))
    connection.close()

    start = threading.Barrier(families)
    errors = []

    def confirm(family, child, choice):
        try:
            start.wait()
            enrolment.confirm(family, town, period, [child], choice)
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=parent) for parent in parents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "errors": errors,
        "enrolments": Enrolment.objects.filter(period=period).count(),
        "journal_mode": connection.cursor()
        .execute("PRAGMA journal_mode")
        .fetchone()[0],
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))  # noqa: T201
