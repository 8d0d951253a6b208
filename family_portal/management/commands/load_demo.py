"""`manage.py load_demo`: build the fictional commune "Ville de Démo" (idempotent)."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.models import Site

from activities.demo import load_demo_activities
from family_portal.attendance.demo import ANIMATEUR, load_attendance_demo
from family_portal.backoffice.demo import load_backoffice_demo
from family_portal.billing.demo import load_billing_demo
from family_portal.bookings.demo import load_bookings_demo
from family_portal.demo import DEMO_PARENT, load_demo_family
from family_portal.franceconnect.demo import load_franceconnect_demo
from family_portal.franceconnect.mock.identities import MERCIER
from family_portal.payments.demo import load_payments_demo
from home.demo import DEMO_ACCOUNTS, load_demo
from home.models import CommuneSettings
from home.site_url import set_root_url


class Command(BaseCommand):
    help = "Load the demo commune (pages, settings, groups, accounts, a family). Safe to rerun."

    def add_arguments(self, parser):
        parser.add_argument(
            "--site-url",
            help="the address the demo is served at, e.g. http://127.0.0.1:8200 "
            "(`make demo` passes it): the certificates' links use it",
        )

    def handle(self, *args, site_url=None, **options):
        try:
            with transaction.atomic():
                home = load_demo()
                site = Site.objects.get(root_page=home)
                if site_url:
                    set_root_url(site, site_url)
                load_demo_activities(home)
                commune = CommuneSettings.for_site(site)
                load_demo_family(commune)
                load_franceconnect_demo(commune)
                load_backoffice_demo(commune)
                load_bookings_demo(commune)
                load_billing_demo(commune)
                load_payments_demo()
                load_attendance_demo(commune)
        except (ImproperlyConfigured, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS("Demo commune « Ville de Démo » is ready.")
        )
        self.stdout.write(f"Demo accounts (site: {site.root_url}):")
        for account in DEMO_ACCOUNTS:
            login = account.email if account is DEMO_PARENT else account.username
            where = "/compte/login/" if account is DEMO_PARENT else "/admin/"
            self.stdout.write(
                f"  {account.role:<34} {where:<15} {login:<26} {account.password}"
            )
        self.stdout.write(
            f"  {'parent signed in with FranceConnect':<34} {'/compte/login/':<15} "
            f"« S'identifier avec FranceConnect », then {MERCIER['given_name']} "
            f"{MERCIER['family_name']}"
        )
        self.stdout.write(
            f"  {ANIMATEUR['role']:<34} {'/pointage/':<15} "
            f"{ANIMATEUR['username']:<26} {ANIMATEUR['password']}"
        )
