"""`manage.py retry_quotients`: ask API Particulier again where it was unavailable.

Run it from cron (every hour, say): the families whose lookup failed during enrolment
get their definitive tariff as soon as the API answers, and are told by e-mail.
"""

from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from wagtail.models import Site

from family_portal.models import Family
from family_portal.quotients import retry_unavailable
from home.models import CommuneSettings


class Command(BaseCommand):
    help = "Retry the QF lookups that failed because API Particulier was unavailable."

    def handle(self, *args, **options):
        site = Site.objects.filter(is_default_site=True).first()
        commune = CommuneSettings.for_site(site)

        def progress(family, summary):
            self.stderr.write(f"\r{summary.families} families tried", ending="")

        summary = retry_unavailable(commune, on_family=progress)
        self.stderr.write("")
        for family in Family.objects.filter(pk__in=summary.settled).prefetch_related(
            "users"
        ):
            recipients = [user.email for user in family.users.all() if user.email]
            if recipients:
                send_mail(
                    "Votre tarif définitif est calculé",
                    "Bonjour,\n\nVotre quotient familial a été obtenu auprès de la CAF ou "
                    "de la MSA : le tarif définitif de vos inscriptions est calculé. "
                    "Retrouvez-le dans votre espace famille.\n\n"
                    f"{commune.service_name or 'Le service famille'}\n{commune.name}\n",
                    None,
                    recipients,
                )
        self.stdout.write(
            f"{summary.families} families tried, {len(summary.settled)} settled, "
            f"{summary.still_unavailable} still unavailable, "
            f"{summary.refused} refused by a lookup limit (left to agents), other errors: "
            f"{summary.other_errors or 'none'}"
        )
