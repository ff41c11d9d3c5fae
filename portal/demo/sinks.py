"""Where demo rows go: COPY into PostgreSQL, with the tables' secondary indexes and foreign keys
set aside while loading, then fresh planner statistics."""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.contrib.gis.db.models import GeometryField
from django.db import connection, transaction
from psycopg.copy import QueuedLibpqWriter
from tqdm import tqdm

from directory.models import Clinic, Language, Listing, Location, Practitioner, Specialty, Technique
from portal.models import DeferredSchemaStatement

# --------------------------------------------------------------------------
# Sinks: where the rows go
# --------------------------------------------------------------------------


def _geo_columns(model, columns: Sequence[str]) -> list[int]:
    return [i for i, name in enumerate(columns) if isinstance(model._meta.get_field(name), GeometryField)]


class Sink:
    """Writes rows (tuples in `columns` order) into a model's table."""

    def reserve_ids(self, model, count: int) -> int:
        raise NotImplementedError

    def ids_end(self, model, last_id: int) -> None:
        """The block reserved from reserve_ids(model, 1) ends at `last_id` (for rows counted as made)."""
        raise NotImplementedError

    def write(self, model, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        """Write every row; returns how many."""
        raise NotImplementedError

    @contextmanager
    def loading(self, tables: Sequence[str]) -> Iterator[None]:
        """Around a whole load into `tables` (nothing to do by default)."""
        yield

    def finish(self, tables: Sequence[str] = ()) -> None:
        """Bring planner statistics up to date after loading."""

    def compact(self, tables: Sequence[str]) -> None:
        """Drop the row versions this load replaced in `tables` (nothing to do by default)."""


@dataclass(frozen=True)
class Deferred:
    """What `CopySink.loading` sets aside on one table, and the statements that put it back."""

    drops: list[str]
    restores: list[str]


# Foreign keys and unique constraints (not the primary key, nor one a foreign key depends
# on), then the plain indexes: each with the SQL PostgreSQL itself gives to recreate it,
# so the schema ends exactly as the migrations made it.
_CONSTRAINTS_SQL = """
SELECT c.conname, pg_get_constraintdef(c.oid), c.contype
FROM pg_constraint c
WHERE c.conrelid = %s::regclass AND c.contype IN ('f', 'u')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid AND c.contype = 'u')
ORDER BY c.contype, c.conname
"""
_INDEXES_SQL = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1
"""


def deferred_schema(table: str) -> Deferred:
    """The foreign keys, unique constraints and secondary indexes of `table`."""
    quote = connection.ops.quote_name
    drops, restores = [], []
    with connection.cursor() as cursor:
        cursor.execute(_CONSTRAINTS_SQL, [table])
        for name, definition, _ in cursor.fetchall():
            drops.append(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            restores.append(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        cursor.execute(_INDEXES_SQL, [table])
        for name, definition in cursor.fetchall():
            drops.append(f"DROP INDEX {name}")
            restores.append(definition)
    # Indexes first, so a foreign key or unique constraint built after them finds them.
    restores.sort(key=lambda sql: sql.startswith("ALTER TABLE"))
    return Deferred(drops, restores)


class CopySink(Sink):
    """COPY ... FROM STDIN through psycopg 3: PostgreSQL only, several times faster than INSERT.

    One COPY per table and stage, its rows formatted by this thread while a
    psycopg worker thread sends them (`QueuedLibpqWriter`): PostgreSQL stores
    one batch on the other core while Python draws the next. Binary COPY:
    formatting 331,000 credential rows took 0.2-0.3 s of Python and 0.5-0.7 s
    of PostgreSQL instead of 2.4-2.7 s and 1.1-1.3 s as text (dates and
    times are the costly ones to write and parse as text).
    Tables emptied earlier in the same transaction (`truncated`, as
    flush_directory does) are loaded with COPY FREEZE: their rows are written
    frozen and all-visible, so the VACUUM that the first searches would
    otherwise wait for has nothing left to do.
    """

    def __init__(self, *, truncated: Iterable[str] = (), record_restores: bool = False):
        self.truncated = set(truncated)
        self.record_restores = record_restores

    def reserve_ids(self, model, count):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            cursor.execute("SELECT nextval(%s)", [sequence])
            (start,) = cursor.fetchone()
            if count > 1:
                cursor.execute("SELECT setval(%s, %s)", [sequence, start + count - 1])
        return start

    def ids_end(self, model, last_id):
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [model._meta.db_table, last_id])

    def column_types(self, table: str, columns: Sequence[str]) -> list[int]:
        """The type OIDs of `columns`, for binary COPY; a PostGIS column takes EWKB as bytea."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, atttypid, format_type(atttypid, NULL) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [table],
            )
            found = {name: (oid, type_name) for name, oid, type_name in cursor.fetchall()}
            known = cursor.cursor.adapters.types
        bytea = known["bytea"].oid
        postgis = ("geometry", "geography")
        return [bytea if found[column][1] in postgis else found[column][0] for column in columns]

    def write(self, model, columns, rows):
        geo = _geo_columns(model, columns)
        quote = connection.ops.quote_name
        table = model._meta.db_table
        freeze = ", FREEZE" if table in self.truncated and connection.in_atomic_block else ""
        sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN WITH (FORMAT BINARY{freeze})"
        types = self.column_types(table, columns)
        written = 0
        # No savepoint of its own: COPY FREEZE needs the transaction level of the TRUNCATE.
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
                copy.set_types(types)
                write_row = copy.write_row
                if geo:
                    for row in rows:
                        row = list(row)
                        for i in geo:
                            row[i] = row[i].ewkb()
                        write_row(row)
                        written += 1
                else:
                    for row in rows:
                        write_row(row)
                        written += 1
        return written

    @contextmanager
    def loading(self, tables):
        """Drop the tables' foreign keys, unique constraints and secondary indexes, and build
        them again once everything is loaded.

        Maintained row by row, every COPY row fired a foreign-key check per
        reference and updated up to eight indexes (two of them trigram GIN);
        one build per index after the load sorts once, and ADD CONSTRAINT
        checks each foreign key with one join. With binary COPY, PostgreSQL's
        CPU for a 100,000-practitioner seed went from 31.9 s to 11.2 s
        (bench/README.md, `bench/seed.py`); the builds are now the larger
        part of what is left.

        The builds run at the end of the load's transaction, so a failed load
        leaves the schema as it was. With `record_restores`, the transaction
        records the statements (DeferredSchemaStatement) instead, for the
        caller to build once it has committed, several at a time, each in its
        own connection (`restore_deferred`, as seed_demo does): a GIN or GiST
        build uses one core, and the machine has more. A failed load still
        leaves everything as it was; a stop during the builds leaves the rows
        loaded and the statements not yet built recorded, and the next load
        builds them first.
        """
        with transaction.atomic(savepoint=False):
            restore_deferred()
            deferred = [(table, deferred_schema(table)) for table in tables]
            with connection.cursor() as cursor:
                # Index builds sort in memory rather than in temporary files.
                cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
                for _, item in deferred:
                    for sql in item.drops:
                        cursor.execute(sql)
            yield
            if self.record_restores:
                DeferredSchemaStatement.objects.bulk_create(
                    DeferredSchemaStatement(table=table, sql=sql, constraint=sql.startswith("ALTER TABLE"))
                    for table, item in deferred
                    for sql in item.restores
                )
            else:
                with connection.cursor() as cursor:
                    for _, item in deferred:
                        for sql in item.restores:
                            cursor.execute(sql)

    def compact(self, tables):
        """Rewrite each of `tables` emptied for this load (`truncated`) with its live rows
        only, in the open transaction.

        Requalification rewrites nearly every listing after the load, and an index
        built later in the same transaction (or while an older snapshot is open,
        as the other builds' are) indexes the replaced versions too: the listings'
        trigram index took 19.7 s to build in the seed against 9.3 s on the settled
        table (bench/seed.py). Copied aside, emptied (a new, empty file; the old
        one with its dead versions goes at commit) and copied back, the table
        holds each listing once. Only a table emptied for this load, which holds
        nothing but its rows, and that no other table's foreign key points at.
        """
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in tables:
                if table not in self.truncated or not connection.in_atomic_block:
                    continue
                cursor.execute(f"CREATE TEMPORARY TABLE seed_compacted ON COMMIT DROP AS TABLE {quote(table)}")
                cursor.execute(f"TRUNCATE {quote(table)}")
                cursor.execute(f"INSERT INTO {quote(table)} TABLE seed_compacted")
                cursor.execute("DROP TABLE seed_compacted")

    def finish(self, tables=()):
        # The vocabularies too: they never change enough for autovacuum to
        # analyze them, and without statistics the planner guesses that a
        # slug matches ~1% of practitioners and picks a hash join over every
        # practitioner with a term instead of the KNN index scan.
        vocabularies = [Specialty._meta.db_table, Technique._meta.db_table, Language._meta.db_table]
        names = ", ".join(connection.ops.quote_name(t) for t in [*(tables or directory_tables()), *vocabularies])
        with connection.cursor() as cursor:
            # VACUUM also sets hint bits and the visibility map where COPY FREEZE
            # did not (and clears what requalification rewrote); it cannot run
            # inside a transaction.
            cursor.execute(f"ANALYZE {names}" if connection.in_atomic_block else f"VACUUM (ANALYZE) {names}")


# Each build's sort memory: two at a time fit easily on a machine that seeds a million
# practitioners; the GIN builds flush their lists less often with more.
BUILD_MEMORY = "512MB"


def _build_cost(statement: DeferredSchemaStatement) -> tuple[int, int]:
    """Longest first, so the last build to start is a short one: GIN builds take several
    times as long as a B-tree of the same table, GiST about twice (bench/seed.py)."""
    sql = statement.sql.upper()
    weight = 8 if "USING GIN" in sql else 3 if "USING GIST" in sql else 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(%s::regclass)", [statement.table])
        (size,) = cursor.fetchone()
    return (weight * size, -statement.pk)


def _run_recorded(statement: DeferredSchemaStatement) -> None:
    """One recorded statement, and its record deleted, in the open transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
        cursor.execute(statement.sql)
    DeferredSchemaStatement.objects.filter(pk=statement.pk).delete()


def _in_own_connection(step: Callable[[], object]) -> None:
    """`step` in one transaction of this thread's own connection."""
    try:
        with transaction.atomic():
            step()
    finally:
        connection.close()


def _build(statement: DeferredSchemaStatement) -> None:
    """One recorded statement in a transaction of this thread's own connection."""
    _in_own_connection(partial(_run_recorded, statement))


def restore_deferred(
    *,
    builders: int = 1,
    progress: bool = False,
    first: Sequence[Callable[[], object]] = (),
    then: Callable[[], object] | None = None,
    first_tables: Collection[str] = (),
) -> int:
    """Build the indexes and constraints a load recorded (DeferredSchemaStatement), indexes
    first; returns how many.

    `builders` at a time, each in its own connection, when no transaction is
    open here (the rows they read are committed); otherwise one after another
    in the open transaction. Every statement is tried; the first failure is
    raised after the others have run, and what failed stays recorded.

    `first`, when given, are steps of the load that rewrite `first_tables`
    (seed_demo's requalification, in parts): they run before every build, at
    the same time, each in a transaction of its own, and `then` (the
    compaction of what they rewrote) once they have all committed. If one
    fails, `then` does not run and the builds of `first_tables` stay recorded.
    Inside an open transaction, they run one after another before every build.
    """
    pending = list(DeferredSchemaStatement.objects.all())
    if builders <= 1 or connection.in_atomic_block:
        for step in [*first, *([then] if then else [])]:
            step()
        for statement in pending:
            with transaction.atomic():
                _run_recorded(statement)
        return len(pending)
    if not pending and not first:
        return 0
    with ThreadPoolExecutor(max_workers=builders) as pool:
        steps = [pool.submit(_in_own_connection, step) for step in first]
        failures = [future.exception() for future in steps if future.exception() is not None]
        if not failures and then is not None:
            compacted = pool.submit(_in_own_connection, then)
            failures = [compacted.exception()] if compacted.exception() is not None else []
    # The tables of a step that failed: their builds stay recorded.
    waiting = set(first_tables) if failures else set()
    bar = tqdm(total=len(pending), desc=f"{'indexes':<13}", unit=" builds", file=sys.stderr, disable=not progress)
    with bar:
        for constraints in (False, True):
            group = sorted((s for s in pending if s.constraint == constraints), key=_build_cost, reverse=True)
            with ThreadPoolExecutor(max_workers=builders) as pool:
                futures = [pool.submit(_build, s) for s in group if s.table not in waiting]
                for future in as_completed(futures):
                    if future.exception() is not None:
                        failures.append(future.exception())
                    bar.update(1)
    if failures:
        raise failures[0]
    return len(pending)


def directory_tables() -> list[str]:
    """The tables the seed writes (the vocabularies it only reads are not among them)."""
    models = [Clinic, Location, Practitioner, Listing]
    through = [Practitioner.specialties.through, Practitioner.techniques.through, Practitioner.languages.through]
    return [m._meta.db_table for m in models + through]


def default_sink() -> Sink:
    return CopySink()
