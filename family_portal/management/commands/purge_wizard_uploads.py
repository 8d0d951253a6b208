"""`manage.py purge_wizard_uploads [--dry-run] [--older-than SECONDS]`: delete the files
of enrolment wizards abandoned, or of sessions expired, once older than
``WIZARD_UPLOAD_MAX_AGE`` (3 hours by default). A periodic job, every hour."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from family_portal.wizard_files import purge_abandoned


class Command(BaseCommand):
    help = "Delete the files of enrolment wizards abandoned or of expired sessions."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count without deleting"
        )
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="SECONDS",
            help="age from which a file is abandoned "
            f"(default: WIZARD_UPLOAD_MAX_AGE, {settings.WIZARD_UPLOAD_MAX_AGE})",
        )

    def handle(self, *args, dry_run=False, older_than=None, **options):
        if older_than is not None and older_than < 0:
            raise CommandError("--older-than must be a number of seconds, 0 or more.")
        count = purge_abandoned(max_age=older_than, dry_run=dry_run)
        verb = "to delete" if dry_run else "deleted"
        self.stdout.write(f"Abandoned wizard files {verb}: {count}")
