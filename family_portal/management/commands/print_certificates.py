"""Print the tariff certificates of an activity as one PDF, ready for the printer.

    python manage.py print_certificates --activity restauration [--period 3]
        [--school "École des Tilleuls"] --out attestations.pdf

Certificates missing or out of date (the tariff changed) are issued first; the others
are printed as issued. A progress bar goes to stderr, a summary to stdout.
"""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from activities.models import ActivityPage
from family_portal.certificates import services


class ProgressBar:
    """A plain progress bar on stderr, redrawn in place on a terminal."""

    WIDTH = 30

    def __init__(self, stream, enabled=True):
        self.stream = stream
        self.enabled = enabled
        self.started = time.perf_counter()
        self.interactive = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, done, total):
        if not self.enabled or not total:
            return
        filled = round(self.WIDTH * done / total)
        rate = done / max(time.perf_counter() - self.started, 1e-6)
        line = (
            f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} pages"
            f" ({rate:.1f} pages/s)"
        )
        if self.interactive:
            self.stream.write("\r" + line)
            if done >= total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Print the tariff certificates of an activity as one PDF."

    def add_arguments(self, parser):
        parser.add_argument(
            "--activity", required=True, help="the activity page's slug or id"
        )
        parser.add_argument("--period", help="one period: its id or its exact label")
        parser.add_argument("--school", default="", help="one school, by exact name")
        parser.add_argument("--out", required=True, help="the PDF file to write")
        parser.add_argument(
            "--no-progress", action="store_true", help="do not draw the progress bar"
        )

    def handle(self, *args, **options):
        activity = self.find_activity(options["activity"])
        period = self.find_period(activity, options["period"])
        out = Path(options["out"])
        if out.suffix.lower() != ".pdf":
            raise CommandError(f"--out must name a .pdf file, not {out}.")
        if not out.parent.is_dir():
            raise CommandError(f"The folder {out.parent} does not exist.")
        enrolments = services.batch_enrolments(activity, period, options["school"])
        if not enrolments.exists():
            raise CommandError(
                f"No confirmed enrolment in {activity.title!r}"
                + (f", period {period.label!r}" if period else "")
                + (f", school {options['school']!r}" if options["school"] else "")
                + ": nothing to print."
            )
        progress = ProgressBar(
            self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr,
            enabled=not options["no_progress"],
        )
        partial = out.with_name(out.name + ".part")
        try:
            result = services.print_batch(enrolments, partial, progress=progress)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            f"Wrote {result.pages} certificates ({result.pages} pages) to {out} in "
            f"{result.seconds:.1f} s ({result.pages / result.seconds:.1f} pages/s): "
            f"{result.issued} issued now, {result.replaced} of them replacing an "
            f"out-of-date one."
        )

    def find_activity(self, key):
        query = Q(slug=key)
        if key.isdigit():
            query |= Q(pk=int(key))
        activities = list(ActivityPage.objects.filter(query)[:2])
        if not activities:
            raise CommandError(f"No activity has the slug or id {key!r}.")
        if len(activities) > 1:
            raise CommandError(f"Several activities match {key!r}: give its id.")
        return activities[0]

    def find_period(self, activity, key):
        if not key:
            return None
        periods = activity.periods.all()
        query = Q(label__iexact=key)
        if key.isdigit():
            query |= Q(pk=int(key))
        found = list(periods.filter(query)[:2])
        if len(found) != 1:
            labels = ", ".join(f"{p.pk} ({p.label})" for p in periods) or "none"
            raise CommandError(
                f"No single period of {activity.title!r} matches {key!r}; "
                f"its periods are: {labels}."
            )
        return found[0]
