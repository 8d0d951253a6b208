"""`manage.py issue_tax_certificates [--year YYYY]`: the January job that issues the tax
certificates for childcare costs of the year before (or of ``--year``) for every family
concerned, in background batches. Prints one JSON object."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from family_portal.taxcerts import tasks


class Command(BaseCommand):
    help = "Issue the yearly tax certificates for childcare costs (default: last year)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="The year of the payments.")

    def handle(self, *args, **options):
        this_year = timezone.localdate().year
        year = options["year"] or this_year - 1
        if not 2000 <= year < this_year:
            raise CommandError(
                f"--year must be a past year (2000–{this_year - 1}), not {year}.",
                returncode=1,
            )
        with transaction.atomic():
            job = tasks.start_issue(year)
        job.refresh_from_db()
        self.stdout.write(
            json.dumps(
                {
                    "year": year,
                    "families": job.total,
                    "status": job.status,
                    "issued": job.issued,
                }
            )
        )
