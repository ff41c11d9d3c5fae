"""manage.py seed_demo: load a realistic, deterministic demo directory (see portal/demo/)."""

import datetime
import time
from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core import clock
from core.cli import iso_date
from core.public_cache import public_data_changed
from credentials.screening import imports
from credentials.screening.screen import exclusions_screen
from directory.models import Clinic, Listing, Practitioner
from portal import demo
from portal.demo.credentials import (
    compact_requalified,
    credential_tables,
    demo_training_providers,
    requalify_parts,
    seed_credentials,
    settle_requalify,
)


class Command(BaseCommand):
    help = (
        "Load a demo directory: clinics at real US ZIP centroids, their locations, practitioners, listings "
        "and vocabularies. The same --seed gives the same data. Refuses to add to a directory that already "
        "has clinics or practitioners unless --flush (replace everything) or --if-empty (do nothing) is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--practitioners", type=int, default=2000, help="How many practitioners (default 2000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--batch-size", type=int, default=10_000, help="Rows per progress step (default 10000).")
        parser.add_argument(
            "--today",
            type=iso_date,
            default=None,
            help="Reference date (YYYY-MM-DD) for qualified_until; default: today in TIME_ZONE.",
        )
        parser.add_argument(
            "--no-credentials",
            dest="credentials",
            action="store_false",
            help="Skip the credentials (licenses, training, certifications) and keep the stand-in "
            "qualification dates; for loading millions of practitioners quickly.",
        )
        parser.add_argument(
            "--index-builders",
            type=int,
            default=2,
            help="Indexes built at a time after the load, each in its own database connection (default 2; "
            "1 builds them inside the load's transaction).",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--flush",
            action="store_true",
            help="First delete EVERY clinic, location, practitioner and listing, and what refers to them "
            "(credentials, consultation requests, expiry notices and digests), and the scan records; state rules "
            "and users stay. For demo databases only.",
        )
        mode.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) if the directory already has clinics or practitioners.",
        )

    def handle(
        self,
        *args,
        practitioners,
        seed,
        batch_size,
        today,
        flush,
        if_empty,
        credentials,
        index_builders,
        verbosity,
        **options,
    ):
        if practitioners < 0:
            raise CommandError("--practitioners must be 0 or more.")
        if seed < 0:
            raise CommandError("--seed must be 0 or more.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if index_builders < 1:
            raise CommandError("--index-builders must be at least 1.")

        began = time.perf_counter()
        today = today or clock.today()
        stages, tables, settle = demo.STAGES, demo.directory_tables(), ()
        if credentials:
            stages, tables = (*stages, seed_credentials), tables + credential_tables()
            settle = (settle_requalify,)
        # What a seed stopped during its index builds left unbuilt comes first.
        demo.restore_deferred(builders=index_builders, progress=verbosity > 0)
        # One transaction from the flush to the last row: COPY FREEZE needs the TRUNCATE
        # in it, and a failed load leaves the directory (and its schema) as it was. With
        # more than one builder, once it has committed, the requalification from the
        # credentials runs in index_builders parts at the same time, then the indexes are
        # built index_builders at a time (CopySink.loading, restore_deferred).
        after_commit = index_builders > 1
        with transaction.atomic():
            if flush:
                demo.flush_directory()
            elif self.refuse_to_add(if_empty=if_empty, verbosity=verbosity):
                return
            sink = demo.CopySink(truncated=demo.flushed_tables() if flush else (), record_restores=after_commit)
            result = demo.seed(
                practitioners=practitioners,
                seed=seed,
                today=today,
                batch_size=batch_size,
                progress=verbosity > 0,
                sink=sink,
                stages=stages,
                tables=tables,
                settle=() if after_commit else settle,
            )
        started = time.perf_counter()
        requalify = []
        if after_commit and settle:
            ids = result.practitioner_ids
            requalify = requalify_parts(ids, index_builders, today=today)
            if verbosity:
                self.stderr.write(
                    f"Requalifying {len(ids):,} practitioners in {len(requalify)} connections, then the index builds..."
                )
        demo.restore_deferred(
            builders=index_builders,
            progress=verbosity > 0,
            first=requalify,
            then=partial(compact_requalified, sink) if requalify else None,
            first_tables=[Listing._meta.db_table, Practitioner._meta.db_table],
        )
        indexes = result.seconds.pop("indexes", 0) + time.perf_counter() - started
        result.seconds["requalify and indexes" if requalify else "indexes"] = indexes
        if credentials:
            ids = result.practitioner_ids
            result.counts["qualified_listings"] = (
                Listing.objects.filter(practitioner_id__gte=ids.start, practitioner_id__lt=ids.stop)
                .qualified_on(today)
                .count()
            )
        # What requalification rewrote (and, on a first load, every table: COPY FREEZE
        # only applies to tables emptied in the same transaction).
        started = time.perf_counter()
        rewritten = [Listing._meta.db_table, Practitioner._meta.db_table] if credentials else []
        if rewritten or not flush:
            sink.finish(tables if not flush else rewritten)
        result.seconds["vacuum"] = time.perf_counter() - started
        if credentials:
            started = time.perf_counter()
            result.counts.update(self.seed_screening(today=today))
            result.seconds["screening"] = time.perf_counter() - started
        # Rows loaded by COPY pass no execute wrapper: say so, so no kept public answer outlives them.
        public_data_changed()
        elapsed = time.perf_counter() - began
        if verbosity:
            self.stdout.write(f"Seeded a demo directory on {connection.vendor} (COPY), seed {seed}:")
            width = max(len(name) for name in result.counts) if result.counts else 0
            for name, count in result.counts.items():
                self.stdout.write(f"  {name:<{width}}  {count:>10,}")
            stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in result.seconds.items())
            self.stdout.write(self.style.SUCCESS(f"Done in {elapsed:.1f} s ({stages})."))

    def refuse_to_add(self, *, if_empty: bool, verbosity: int) -> bool:
        """True (do nothing) if the directory has rows and --if-empty; an error if it has rows otherwise."""
        existing = {"clinics": Clinic.objects.count(), "practitioners": Practitioner.objects.count()}
        if not any(existing.values()):
            return False
        if if_empty:
            if verbosity:
                self.stdout.write(
                    f"The directory already has {existing['clinics']} clinics and "
                    f"{existing['practitioners']} practitioners; not seeding (--if-empty)."
                )
            return True
        raise CommandError(
            f"The directory already has {existing['clinics']} clinics and {existing['practitioners']} "
            "practitioners. Run with --flush to replace them (this deletes all directory data and "
            "credentials), or --if-empty to leave them."
        )

    def seed_screening(self, *, today: datetime.date | None) -> dict[str, int]:
        """The sample NPPES file and exclusion list (made for seed 1), then screening: with the
        default seed, two demo practitioners are found on the exclusion list."""
        today = today or clock.today()
        providers = demo_training_providers(today=today)
        nppes = imports.nppes_import(path=imports.SAMPLE_NPPES)
        leie = imports.leie_import(path=imports.SAMPLE_LEIE, today=today)
        screened = exclusions_screen(today=today)
        return {
            "training providers": providers,
            "nppes records": nppes.created + nppes.updated + nppes.unchanged,
            "exclusions": leie.created + leie.unchanged,
            "exclusion matches": screened.created,
        }
