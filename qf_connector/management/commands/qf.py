"""``manage.py qf lookup``: the agents' desk tool to look up a quotient familial.

Prints one JSON object on standard output. Exit status: 0 found, 2 invalid input
(nothing sent), 3 not identified or no CAF/MSA file, 4 unavailable or rate limited,
5 configuration problem. ``manage.py qf purge`` deletes call log rows past their
36-month retention.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandParser

from qf_connector import services
from qf_connector.errors import ErrorKind, QuotientError
from qf_connector.identity import Identity, coerce_month
from qf_connector.models import RETENTION_MONTHS, ApiCallLog

EXIT_CODES = {
    ErrorKind.INVALID_INPUT: 2,
    ErrorKind.NOT_IDENTIFIED: 3,
    ErrorKind.NO_FILE: 3,
    ErrorKind.UNAVAILABLE: 4,
    ErrorKind.RATE_LIMITED: 4,
    ErrorKind.CONFIGURATION: 5,
}
ORIGIN = "commande qf lookup"


class Command(BaseCommand):
    help = "Consulte le quotient familial CAF/MSA d'un allocataire sur API Particulier."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        lookup = actions.add_parser(
            "lookup",
            help="Quotient familial d'un allocataire, d'après son état civil.",
            description="Sortie : un objet JSON. Codes de retour : 0 trouvé, "
            "2 saisie invalide, 3 non identifié ou sans dossier, "
            "4 service indisponible, 5 configuration.",
        )
        lookup.add_argument("--nom-naissance", required=True, help="nom de naissance")
        lookup.add_argument(
            "--prenom",
            action="append",
            required=True,
            help="prénom (de 1 à 3, répéter l'option)",
        )
        lookup.add_argument("--sexe", required=True, help="F ou M (état civil)")
        lookup.add_argument(
            "--naissance", required=True, help="date de naissance AAAA[-MM[-JJ]]"
        )
        place = lookup.add_mutually_exclusive_group(required=True)
        place.add_argument(
            "--commune-naissance", help="code INSEE (COG) de la commune de naissance"
        )
        place.add_argument(
            "--pays-naissance", help="code INSEE du pays de naissance (99XXX)"
        )
        lookup.add_argument("--mois", help="mois du quotient familial AAAA-MM")
        lookup.add_argument(
            "--sans-cache",
            action="store_true",
            help="demande une valeur fraîche (ignore le cache de 24 h de l'API)",
        )

        purge = actions.add_parser(
            "purge",
            help=f"Supprime les appels journalisés depuis plus de {RETENTION_MONTHS} mois.",
        )
        purge.add_argument(
            "--dry-run", action="store_true", help="compte sans rien supprimer"
        )

    def handle(self, *args, **options) -> None:
        if options["action"] == "purge":
            expired = ApiCallLog.objects.expired()
            count = expired.count() if options["dry_run"] else expired.delete()[0]
            key = "a_supprimer" if options["dry_run"] else "supprimes"
            self.stdout.write(json.dumps({key: count}))
            return
        code, payload = self.lookup(options)
        self.stdout.write(json.dumps(payload, ensure_ascii=False))
        if code:
            sys.exit(code)

    def lookup(self, options: dict) -> tuple[int, dict]:
        try:
            identity = Identity.create(
                birth_name=options["nom_naissance"],
                first_names=options["prenom"],
                sex=options["sexe"],
                birth_date=options["naissance"],
                birth_commune=options.get("commune_naissance"),
                birth_country=options.get("pays_naissance"),
            )
            month = coerce_month(options.get("mois"))
            result = services.lookup_by_identity(
                identity, month, fresh=options.get("sans_cache", False), origin=ORIGIN
            )
        except QuotientError as error:
            return EXIT_CODES[error.kind], {"error": error.as_dict()}
        return 0, result.as_dict()
