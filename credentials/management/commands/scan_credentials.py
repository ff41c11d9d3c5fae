"""manage.py scan_credentials [--today YYYY-MM-DD]: the nightly expiry scan, by hand.

Runs in this process, broker or not: the scan, then every digest waiting to
be sent (a refused one stays pending for the next run or the worker's retry).
"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core import clock
from core.cli import iso_date
from credentials.expiry import scan
from directory.models import Practitioner


class Command(BaseCommand):
    help = (
        "Notify clinics of credentials reaching 90/60/30/7 days before expiry, expiring or expired; send the digests."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=iso_date, default=None, help="Scan as of this day (default: today).")
        parser.add_argument("--no-send", action="store_true", help="Scan only; leave the digests to the workers.")

    def handle(self, *args, today, no_send, **options):
        today = today or clock.today()
        run = scan.credentials_scan(today=today)
        self.stdout.write(
            f"Scan for {today}: {run.notifications} new notifications, {run.digests} new clinic digests, "
            f"{run.review_due} credentials due for review, {run.listings_lapsed} listings lapsed, "
            f"{run.listings_returned} back, {run.practitioners_requalified} practitioners' training hours refreshed."
        )
        practitioners = Practitioner.objects.count()
        with tqdm(total=practitioners, unit="practitioner", desc="repair", disable=options["verbosity"] == 0) as bar:
            repaired = scan.listings_repair(run=run, progress=bar.update)
        self.stdout.write(f"Qualification checked for {practitioners} practitioners: {repaired} listing(s) repaired.")
        if no_send:
            return
        sent = failed = 0
        ids = scan.sendable_digest_ids()
        for digest_id in tqdm(ids, unit="digest", desc="sending", disable=options["verbosity"] == 0 or not ids):
            try:
                sent += scan.digest_send(digest_id=digest_id)
            except Exception as exc:  # the mail server refused: the digest stays pending
                failed += 1
                self.stderr.write(f"digest {digest_id}: not sent ({exc}); it stays pending.")
        self.stdout.write(f"Sent {sent} digest(s); {failed} could not be sent and will be retried.")
        if failed:
            raise CommandError(f"{failed} digest(s) could not be sent.")
