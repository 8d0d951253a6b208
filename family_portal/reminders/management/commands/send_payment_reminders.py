"""``manage.py send_payment_reminders``: e-mail the reminders of unpaid invoices due today."""

from django.core.management.base import BaseCommand, CommandError

from family_portal.reminders.services import FAILED, send_reminders


class Command(BaseCommand):
    help = (
        "E-mail the first or second reminder of every unpaid invoice due one today "
        "(each level once per invoice)."
    )

    def handle(self, *args, **options):
        counts = send_reminders()
        summary = ", ".join(f"{key}: {n}" for key, n in sorted(counts.items()))
        self.stdout.write(f"payment reminders: {summary or 'none due'}")
        if counts.get(FAILED):
            raise CommandError(
                f"{counts[FAILED]} reminder(s) could not be sent (see the log); the "
                "next run tries them again."
            )
