"""``manage.py check_online_payments``: ask PayFiP again about every waiting operation."""

from django.core.management.base import BaseCommand

from family_portal.payments.services import check_waiting


class Command(BaseCommand):
    help = (
        "Ask PayFiP again about every waiting online payment; expire the unknown ones."
    )

    def handle(self, *args, **options):
        counts = check_waiting()
        summary = (
            ", ".join(f"{key}: {n}" for key, n in sorted(counts.items())) or "none"
        )
        self.stdout.write(f"online payments checked: {summary}")
        if counts.get("unreachable"):
            self.stderr.write(
                "PayFiP could not answer about some operations; run again later."
            )
            return 1
