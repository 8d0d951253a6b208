"""`manage.py load_demo`: build the fictional commune "Ville de Démo" (idempotent)."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from home.demo import DEMO_ACCOUNTS, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo commune (pages, settings, groups, demo accounts). Safe to rerun."
    )

    def handle(self, *args, **options):
        try:
            load_demo()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS("Demo commune « Ville de Démo » is ready.")
        )
        self.stdout.write(
            "Demo accounts (site: http://127.0.0.1:8000, admin: /admin/):"
        )
        for account in DEMO_ACCOUNTS:
            self.stdout.write(
                f"  {account.role:<40} {account.username:<10} {account.password}"
            )
