"""`manage.py collect_direct_debits`: record as paid the debits whose date has come."""

from django.core.management.base import BaseCommand

from family_portal.directdebit.collection import collect_due


class Command(BaseCommand):
    help = "Record the payments of the direct debits whose collection date has come."

    def handle(self, *args, **options):
        count = collect_due()
        self.stdout.write(f"{count} direct debit(s) recorded as paid.")
