"""`manage.py set_site_url https://www.ville.example`: the public address of the site.

Sets the default Wagtail Site's hostname and port, from which the certificates' links
and QR codes are built; production refuses to start while it is local or plain HTTP.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from home.site_url import default_site, set_root_url


class Command(BaseCommand):
    help = "Set the public address of the default site (https://www.ville.example)."

    def add_arguments(self, parser):
        parser.add_argument("url", help="e.g. https://www.ville.example")

    def handle(self, *args, url, **options):
        try:
            site = set_root_url(default_site(), url)
        except (ValueError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Site address: {site.root_url}")
