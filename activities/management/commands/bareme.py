"""`manage.py bareme validate|quote|import|export`, as shared/baremes/FORMAT.md says.

Results are JSON on standard output. Exit codes: 0 done; 1 the document has problems
(one JSON line per problem; those beyond the document's limits, such as a text longer
than its column, also named in English on standard error), the file cannot be read or
is no JSON document (nested too deep, for one), or the barème is unknown; 2 the barème
cannot price the situation (``{"error": …}`` in French).
"""

import json
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from activities.models import BaremeVersion
from activities.pricing import (
    InvalidBareme,
    PricingError,
    Situation,
    load_bareme,
    quote,
    validate_document,
)
from activities.pricing.reader import DECIMAL_RE, UnreadableDocument, load_json
from activities.services import export_document, import_document


class Command(BaseCommand):
    help = "Validate, quote, import or export barème documents (bareme/1)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        validate = actions.add_parser(
            "validate", help="Check a document: one JSON line per problem."
        )
        validate.add_argument("file", metavar="FILE.json")

        price = actions.add_parser("quote", help="Price a situation with a document.")
        price.add_argument("file", metavar="FILE.json")
        qf = price.add_mutually_exclusive_group(required=True)
        qf.add_argument("--qf", help="The quotient familial, e.g. 712 or 712.50.")
        qf.add_argument("--no-qf", action="store_true", help="The family gives no QF.")
        price.add_argument("--non-resident", action="store_true")
        price.add_argument("--child-rank", type=int, default=1)
        price.add_argument("--regime", choices=["CNAF", "MSA", "none"], default="none")
        price.add_argument(
            "--flag", action="append", default=[], help="Repeat for several flags."
        )

        store = actions.add_parser(
            "import", help="Store a document (a new version if the id exists)."
        )
        store.add_argument("file", metavar="FILE.json")

        export = actions.add_parser(
            "export", help="Print the document of a stored barème."
        )
        export.add_argument("id", metavar="ID")
        export.add_argument(
            "--version", type=int, help="A version number (default: the latest)."
        )

    def handle(self, *args, **options):
        getattr(self, f"handle_{options['action']}")(options)

    def emit(self, data, indent=None):
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent))

    def read(self, path):
        try:
            return load_json(Path(path).read_bytes())
        except OSError as error:
            raise CommandError(
                f"Cannot read {path}: {error.strerror}.", returncode=1
            ) from None
        except UnreadableDocument as error:
            raise CommandError(f"{path} {error.english}", returncode=1) from None

    def fail_with_problems(self, path, problems):
        for problem in problems:
            self.emit(
                {"code": problem.code, "path": problem.path, "message": problem.message}
            )
        count = len(problems)
        limits = "; ".join(problem.english for problem in problems if problem.english)
        raise CommandError(
            f"{path} is not a valid barème: {count} problem{'s' * (count > 1)}"
            + (f" ({limits})." if limits else "."),
            returncode=1,
        )

    def handle_validate(self, options):
        document = self.read(options["file"])
        problems = validate_document(document)
        if problems:
            self.fail_with_problems(options["file"], problems)
        self.emit({"valid": True, "bareme": document["id"]})

    def handle_quote(self, options):
        document = self.read(options["file"])
        try:
            bareme = load_bareme(document)
        except InvalidBareme as error:
            self.fail_with_problems(options["file"], error.problems)
        qf = options["qf"]
        if qf is not None and not DECIMAL_RE.fullmatch(qf.strip()):
            raise CommandError(
                f"--qf must be a decimal number such as 712 or 712.50, not {qf!r}.",
                returncode=1,
            )
        situation = Situation(
            qf=None if options["no_qf"] else Decimal(qf.strip()),
            residence="non_resident" if options["non_resident"] else "resident",
            child_rank=options["child_rank"],
            regime=options["regime"],
            flags=frozenset(options["flag"]),
        )
        try:
            result = quote(bareme, situation)
        except PricingError as error:
            self.emit({"error": error.message})
            raise CommandError(
                "The barème cannot price this situation.", returncode=2
            ) from None
        self.emit(result.to_dict())

    def handle_import(self, options):
        document = self.read(options["file"])
        try:
            version, created = import_document(document)
        except InvalidBareme as error:
            self.fail_with_problems(options["file"], error.problems)
        self.emit(
            {
                "bareme": version.bareme.slug,
                "version": version.number,
                "created": created,
            }
        )

    def handle_export(self, options):
        try:
            document = export_document(options["id"], options["version"])
        except BaremeVersion.DoesNotExist:
            which = f"version {options['version']} of " if options["version"] else ""
            raise CommandError(
                f"No {which}barème with id {options['id']!r}.", returncode=1
            ) from None
        self.emit(document, indent=2)
