"""`manage.py purge_personal_data [--dry-run]`: delete personal data past its retention.

QF records past their validity plus the retention set in "Règles du service famille",
the documents behind them and rejected documents past theirs, certificate batches printed more than `batch_retention_days` ago,
and API Particulier call logs past 36 months (qf_connector's own
purge, also available as `manage.py qf purge`). Deletes in batches: safe to interrupt
and rerun.
"""

from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from family_portal.backoffice.progress import ProgressBar
from family_portal.backoffice.purge import purge
from family_portal.models import FamilyServiceSettings


class Command(BaseCommand):
    help = "Supprime les données personnelles dont la durée de conservation est passée."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="compte sans rien supprimer"
        )

    def handle(self, *args, **options):
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            raise CommandError("Aucun site par défaut : chargez le site d'abord.")
        rules = FamilyServiceSettings.for_site(site)
        bars = {}

        def progress(label, done, total):
            if label not in bars:
                bars[label] = ProgressBar(self.stderr, total, label)
            bars[label].update(done)
            if done >= total:
                bars[label].close()

        try:
            summary = purge(rules, dry_run=options["dry_run"], progress=progress)
        except KeyboardInterrupt:
            self.stderr.write(
                "Interrompu : les lots terminés sont supprimés. Relancez la commande."
            )
            raise SystemExit(130) from None
        verb = "à supprimer" if summary.dry_run else "supprimés"
        self.stdout.write(f"Données personnelles {verb} :")
        self.stdout.write(f"  quotients familiaux : {summary.quotients}")
        self.stdout.write(f"  justificatifs : {summary.documents}")
        self.stdout.write(
            f"  lots d'attestations à imprimer : {summary.certificate_batches}"
        )
        self.stdout.write(f"  appels à API Particulier (36 mois) : {summary.call_logs}")
