"""`manage.py billing validate|compute`, as the billing rules' FORMAT.md says.

JSON on standard output. Exit codes: 0 done; 1 the rules break the format
(``{"errors": [{"path", "message"}]}``; those beyond the document's limits, such as a
text too long or a NUL character, also named in English on standard error); 2 a file
cannot be read, is no JSON document (nested too deep, for one) or the month breaks its
own format (``{"error": …}``).
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


class Command(BaseCommand):
    help = "Validate billing rules (facturation/1) or compute a month's invoice lines."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        validate = actions.add_parser("validate", help="Check a rules document.")
        validate.add_argument("rules", metavar="RULES.json")
        compute = actions.add_parser("compute", help="Bill a month with the rules.")
        compute.add_argument("rules", metavar="RULES.json")
        compute.add_argument("month", metavar="MONTH.json")

    def handle(self, *args, **options):
        rules = self.rules(options["rules"])
        if options["action"] == "validate":
            self.emit({"valid": True})
            return
        try:
            month = parse_month(self.read(options["month"]))
            result = compute_month(rules, month)
        except (MonthError, MissingTimes) as error:
            self.fail(f"{options['month']}: {error}")
        self.emit(result.to_dict())

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
