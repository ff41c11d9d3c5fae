"""manage.py import_roster FILE --clinic ID [--dry-run]: a clinic's roster from CSV (see portal/roster.py)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core import clock
from directory.models import Clinic
from portal import roster


class Command(BaseCommand):
    help = (
        "Import practitioners (and optionally their state licenses) from a CSV into one clinic. "
        "All or nothing: one rejected row and nothing is written. --dry-run reports without writing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The roster CSV (UTF-8); columns in the README.")
        parser.add_argument("--clinic", type=int, required=True, help="The clinic's id.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument("--user", help="Username recorded as the submitter of new licenses (optional).")
        parser.add_argument(
            "--max-rows",
            type=int,
            default=None,
            help="Accept a longer file than the API does (default: the ROSTER_MAX_ROWS setting).",
        )

    def handle(self, *args, file: Path, clinic: int, dry_run: bool, user: str | None, max_rows: int | None, **options):
        target = Clinic.objects.filter(pk=clinic).first()
        if target is None:
            raise CommandError(f"--clinic: no clinic with id {clinic}.")
        submitter = None
        if user:
            submitter = get_user_model().objects.filter(username=user).first()
            if submitter is None:
                raise CommandError(f"--user: no user called '{user}'.")
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}.") from None
        try:
            roster_file = roster.read_roster(content, max_rows=max_rows)
        except roster.RosterFileError as exc:
            raise CommandError(f"{file}: {exc}") from None

        with tqdm(total=len(roster_file.rows), unit="row", desc="roster", disable=options["verbosity"] == 0) as bar:
            report = roster.roster_import(
                clinic=target,
                roster=roster_file,
                dry_run=dry_run,
                user=submitter,
                today=clock.today(),
                progress=bar.update,
            )
        for row in report.rejected:
            self.stderr.write(f"line {row.line}: {row.name or '(no name)'}: {row.reason}")
        summary = ", ".join(
            f"{report.count(action)} {action}"
            for action in (roster.CREATED, roster.UPDATED, roster.UNCHANGED, roster.REJECTED)
        )
        if report.applied:
            self.stdout.write(self.style.SUCCESS(f"Imported into '{target.name}': {summary}."))
        elif dry_run:
            self.stdout.write(f"Dry run, nothing written: {summary}.")
        else:
            raise CommandError(f"Nothing imported: {summary}. Fix the rejected rows and run again.")
