"""manage.py screen_exclusions [--today YYYY-MM-DD]: screen practitioners against the exclusion list."""

from django.core.management.base import BaseCommand

from core import clock
from core.cli import iso_date
from credentials.screening.screen import exclusions_screen

from .import_leie import screen_line


class Command(BaseCommand):
    help = (
        "Match practitioners against the imported OIG exclusion list (by NPI, else by name and state), "
        "record new matches for an admin to confirm or dismiss, and requalify those practitioners."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=iso_date, default=None, help="Screen as of this day (default: today).")

    def handle(self, *args, today, verbosity, **options):
        today = today or clock.today()
        result = exclusions_screen(today=today, progress=(lambda m: self.stderr.write(m)) if verbosity else None)
        self.stdout.write(screen_line(result, today))
