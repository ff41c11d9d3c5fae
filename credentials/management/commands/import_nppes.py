"""manage.py import_nppes PATH: load the NPPES data dissemination file (or a directory of them)."""

from django.core.management.base import BaseCommand, CommandError

from credentials.screening import imports
from credentials.screening.cli import progress_bar, report_lines


class Command(BaseCommand):
    help = (
        "Import the NPPES data dissemination file (npidata_pfile_*.csv, or a directory holding such files) "
        "into the NPPES records the verifier checks licenses against. One transaction; malformed rows are "
        "skipped and listed; a row already stored unchanged is not written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="An npidata_pfile_*.csv file, or a directory of them.")
        parser.add_argument("--batch-size", type=int, default=imports.BATCH_SIZE, help="Rows per COPY batch.")

    def handle(self, *args, path, batch_size, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        with progress_bar("NPPES", stream=self.stderr._out, disable=verbosity == 0) as bar:
            try:
                report = imports.nppes_import(path=path, batch_size=batch_size, progress=bar.update)
            except imports.ImportFileError as exc:
                raise CommandError(str(exc)) from None
        for line in report_lines(report):
            self.stdout.write(line)
