"""manage.py import_leie PATH: replace the exclusion list with the OIG's LEIE file, then screen."""

from django.core.management.base import BaseCommand, CommandError

from core import clock
from core.cli import iso_date
from credentials.screening import imports
from credentials.screening.cli import progress_bar, report_lines
from credentials.screening.screen import exclusions_screen


class Command(BaseCommand):
    help = (
        "Import the OIG's List of Excluded Individuals/Entities (UPDATED.csv, the whole current list) in one "
        "transaction: new rows added, rows no longer listed removed; malformed rows skipped and listed. "
        "Then screen every practitioner against it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The LEIE UPDATED.csv, or a directory of its CSV files.")
        parser.add_argument("--batch-size", type=int, default=imports.BATCH_SIZE, help="Rows per COPY batch.")
        parser.add_argument("--today", type=iso_date, default=None, help="Screen as of this day (default: today).")
        parser.add_argument("--no-screen", action="store_true", help="Import only; do not screen afterwards.")

    def handle(self, *args, path, batch_size, today, no_screen, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        today = today or clock.today()
        with progress_bar("LEIE", stream=self.stderr._out, disable=verbosity == 0) as bar:
            try:
                report = imports.leie_import(path=path, today=today, batch_size=batch_size, progress=bar.update)
            except imports.ImportFileError as exc:
                raise CommandError(str(exc)) from None
        for line in report_lines(report, deleted=True):
            self.stdout.write(line)
        if no_screen:
            return
        result = exclusions_screen(today=today, progress=(lambda m: self.stderr.write(m)) if verbosity else None)
        self.stdout.write(screen_line(result, today))


def screen_line(result, today) -> str:
    return (
        f"Screening as of {today}: {result.created} new match(es) ({result.by_npi} by NPI, "
        f"{result.by_name_state} by name and state), {result.listings_changed} listing(s) requalified."
    )
