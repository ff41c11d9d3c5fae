"""A realistic, deterministic demo directory, fast enough for a million practitioners.

`seed()` runs five stages, each a function that generates its rows from its
own `random.Random` (so one stage's draws never shift another's) and hands
them to a `Sink`:

1. clinics         -- size (practitioners) and kind (PT, chiro, ...) first
2. locations       -- 1-3 per clinic at real ZIP centroids, jittered
3. practitioners   -- profession by clinic kind, names, NPI, bio, hours
4. listings        -- each practitioner at 1-3 of its clinic's locations,
                      with demo qualified days
5. links           -- specialties, techniques and languages (M2M rows)

and `seed_demo` adds a sixth unless told --no-credentials:

6. credentials     -- licenses in every state where each practitioner is
                      listed, training and certifications, and the admin's
                      decision on each verified one (portal.demo.credentials)

The same seed gives the same rows on any database: ids are reserved up
front and assigned here, and slugs are name + sequence number, so nothing
waits on a per-row query. The qualified days come from `demo_qualification`,
a stand-in that `seed_demo` then replaces by requalifying everyone from the
generated credentials (credentials.services.practitioners_requalify).

Rows are loaded with COPY (psycopg 3), one statement per table and stage,
while the tables' foreign keys, unique constraints and secondary indexes
are set aside and then rebuilt from PostgreSQL's own definitions of them
(`CopySink.loading`): at the end of the load's transaction, or, as
`seed_demo` does, recorded in it and built two at a time once it has
committed, after the requalification in two parts (`restore_deferred`);
`seed_demo --flush` empties the tables in that transaction too, so COPY
writes the rows already frozen.
The package's rooms: `data` (what the generator draws from), `geography`
(where clinics go), `sinks` (COPY and the load), `stages` (the pipeline),
`credentials` (licenses, certifications and training for the seeded
practitioners) and `flush` (empties the directory and its credentials
before a new seed).
"""

from .flush import flush_directory, flushed_tables
from .geography import ANCHOR_ZIPS, haversine_km, zip_table
from .sinks import CopySink, Sink, default_sink, directory_tables, restore_deferred
from .stages import STAGES, SeedContext, SeedResult, demo_qualification, seed

__all__ = [
    "ANCHOR_ZIPS",
    "STAGES",
    "CopySink",
    "SeedContext",
    "SeedResult",
    "Sink",
    "default_sink",
    "demo_qualification",
    "directory_tables",
    "flush_directory",
    "flushed_tables",
    "haversine_km",
    "restore_deferred",
    "seed",
    "zip_table",
]
