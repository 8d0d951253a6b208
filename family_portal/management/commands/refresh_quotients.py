"""`manage.py refresh_quotients --month YYYY-MM`: the yearly QF campaign.

For each family that agreed to it (Family.qf_refresh_consent), ask API Particulier for
the QF of the given month (throttled by the QF client, API_PARTICULIER_RATE or --rate),
record it, re-price the family's enrolments still running next month (audit kind
"qf_refresh", applicable from the first day of next month: invoices already issued are
never recomputed), and e-mail the family. Prices fixed by hand are left alone.

Safe to interrupt (Ctrl-C) and rerun: each family's result is committed with its new QF,
and a rerun skips the families done for that month, retrying only temporary failures.
Families are looked up by several threads at once (--workers), at the client's rate.
Agents start the same campaign from the back-office (Portail Famille › Campagne
annuelle du QF).
"""

from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from family_portal.backoffice.progress import ProgressBar
from family_portal.backoffice.refresh import run_campaign
from family_portal.models import QfRefreshOutcome
from home.models import CommuneSettings
from qf_connector.errors import InvalidInput
from qf_connector.identity import coerce_month
from qf_connector.services import build_client


class Command(BaseCommand):
    help = (
        "Campagne annuelle : actualise le quotient familial des familles qui l'ont "
        "accepté, recalcule leurs tarifs à partir du mois suivant et les prévient."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--month", required=True, help="mois du quotient familial demandé, AAAA-MM"
        )
        parser.add_argument(
            "--limit", type=int, help="traiter au plus ce nombre de familles"
        )
        parser.add_argument(
            "--rate",
            type=float,
            help="requêtes par seconde vers API Particulier (défaut : API_PARTICULIER_RATE)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            help="familles interrogées en même temps (défaut : QF_CAMPAIGN_WORKERS, 16)",
        )

    def handle(self, *args, **options):
        try:
            month = coerce_month(options["month"])
        except InvalidInput as error:
            raise CommandError(error.message) from error
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            raise CommandError("Aucun site par défaut : chargez le site d'abord.")
        commune = CommuneSettings.for_site(site)
        client = build_client(rate=options["rate"]) if options["rate"] else None
        bar = None

        def progress(done, total, summary):
            nonlocal bar
            if bar is None:
                bar = ProgressBar(self.stderr, total, "Familles")
            bar.update(
                done, f"{summary.outcomes[QfRefreshOutcome.Status.REFRESHED]} QF"
            )

        summary = None
        try:
            summary = run_campaign(
                commune,
                month,
                client=client,
                limit=options["limit"],
                progress=progress,
                workers=options["workers"],
            )
        except KeyboardInterrupt:
            if bar is not None:
                bar.close()
            self.stderr.write(
                "Interrompu : ce qui est fait est enregistré. Relancez la même commande "
                "pour reprendre."
            )
            raise SystemExit(130) from None
        finally:
            if client is not None:
                client.close()
        if bar is not None:
            bar.close()
        self._report(summary)

    def _report(self, summary):
        self.stdout.write(f"Campagne du QF de {summary.month:%m/%Y}")
        for label, figure in summary.report_lines():
            self.stdout.write(f"  {label} : {figure}")
        for family in summary.stale:
            self.stdout.write(f"    - {family}")
        if summary.stopped:
            raise CommandError(summary.stopped)
        if summary.outcomes.get(QfRefreshOutcome.Status.FAILED):
            self.stdout.write(
                "  Des échecs provisoires restent : relancez la commande plus tard."
            )
