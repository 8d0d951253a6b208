"""`manage.py billing validate|compute|import|export`, as the billing rules' FORMAT.md
says (rules "imported, exported, versioned, tested and computed from the command line,
exactly like a barème").

JSON on standard output. Exit codes: 0 done; 1 the rules break the format
(``{"errors": [{"path", "message"}]}``; those beyond the document's limits, such as a
text too long or a NUL character, also named in English on standard error); 2 a file
cannot be read, is no JSON document (nested too deep, for one), the month breaks its
own format, or what the command names is not in the database (an unknown rules id,
service or régie: ``{"error": …}``).

``import RULES.json`` stores the rules: a new version of the service's rules when the id
exists (the latest version updated in place while it has billed nothing, as in the
admin), otherwise new rules for ``--activity SLUG`` in ``--regie CODE``. ``export ID``
prints the latest version's document (``--version N``: that version).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from activities.billing_rules import (
    InvalidRules,
    MissingTimes,
    MonthError,
    compute_month,
    parse_month,
    parse_rules,
)
from activities.pricing.reader import UnreadableDocument, load_json
from family_portal.billing.rules_io import RulesNotFound, export_rules, import_rules


class Command(BaseCommand):
    help = "Validate billing rules (facturation/1) or compute a month's invoice lines."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        validate = actions.add_parser("validate", help="Check a rules document.")
        validate.add_argument("rules", metavar="RULES.json")
        compute = actions.add_parser("compute", help="Bill a month with the rules.")
        compute.add_argument("rules", metavar="RULES.json")
        compute.add_argument("month", metavar="MONTH.json")
        store = actions.add_parser(
            "import", help="Store rules (a new version if the id exists)."
        )
        store.add_argument("rules", metavar="RULES.json")
        store.add_argument(
            "--activity", help="The service's page slug (new rules only)."
        )
        store.add_argument("--regie", help="The régie's code (new rules only).")
        export = actions.add_parser("export", help="Print stored rules.")
        export.add_argument("id", metavar="ID")
        export.add_argument(
            "--version", type=int, help="A version number (default: the latest)."
        )

    def handle(self, *args, **options):
        if options["action"] == "export":
            self.export(options["id"], options["version"])
            return
        rules = self.rules(options["rules"])
        if options["action"] == "import":
            self.store(options)
            return
        if options["action"] == "validate":
            self.emit({"valid": True})
            return
        try:
            month = parse_month(self.read(options["month"]))
            result = compute_month(rules, month)
        except (MonthError, MissingTimes) as error:
            self.fail(f"{options['month']}: {error}")
        self.emit(result.to_dict())

    def store(self, options):
        document = self.read(options["rules"])
        try:
            version, created = import_rules(
                document, activity=options["activity"], regie=options["regie"]
            )
        except RulesNotFound as error:
            self.fail(str(error))
        self.emit(
            {
                "rules": version.document["id"],
                "version": version.number,
                "created": created,
            }
        )

    def export(self, slug, number):
        try:
            document = export_rules(slug, number)
        except RulesNotFound as error:
            self.fail(str(error))
        self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))

    def rules(self, path):
        try:
            return parse_rules(self.read(path))
        except InvalidRules as error:
            self.emit(
                {
                    "errors": [
                        {"path": problem.path, "message": problem.message}
                        for problem in error.problems
                    ]
                }
            )
            count = len(error.problems)
            limits = "; ".join(
                problem.english for problem in error.problems if problem.english
            )
            raise CommandError(
                f"{path} breaks the facturation/1 format: {count} "
                f"problem{'s' * (count > 1)}" + (f" ({limits})." if limits else "."),
                returncode=1,
            ) from None

    def read(self, path):
        try:
            return load_json(Path(path).read_bytes())
        except OSError as error:
            self.fail(f"cannot read {path}: {error.strerror}.")
        except UnreadableDocument as error:
            self.fail(f"{path} {error.english}")

    def fail(self, message):
        self.emit({"error": message})
        raise CommandError(message, returncode=2)

    def emit(self, data):
        self.stdout.write(json.dumps(data, ensure_ascii=False))
