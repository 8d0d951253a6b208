"""`manage.py load_demo`: build the fictional commune "Ville de Démo" (idempotent)."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.models import Site

from activities.demo import load_demo_activities
from family_portal.backoffice.demo import load_backoffice_demo
from family_portal.demo import DEMO_PARENT, load_demo_family
from home.demo import DEMO_ACCOUNTS, load_demo
from home.models import CommuneSettings


class Command(BaseCommand):
    help = "Load the demo commune (pages, settings, groups, accounts, a family). Safe to rerun."

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                home = load_demo()
                load_demo_activities(home)
                commune = CommuneSettings.for_site(Site.objects.get(root_page=home))
                load_demo_family(commune)
                load_backoffice_demo(commune)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS("Demo commune « Ville de Démo » is ready.")
        )
        self.stdout.write("Demo accounts (site: http://127.0.0.1:8000):")
        for account in DEMO_ACCOUNTS:
            login = account.email if account is DEMO_PARENT else account.username
            where = "/compte/login/" if account is DEMO_PARENT else "/admin/"
            self.stdout.write(
                f"  {account.role:<34} {where:<15} {login:<26} {account.password}"
            )
