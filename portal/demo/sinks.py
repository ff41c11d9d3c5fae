"""Where demo rows go: COPY into PostgreSQL, batch by batch, then fresh planner statistics."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.gis.db.models import GeometryField
from django.db import connection, transaction

from directory.models import Clinic, Language, Listing, Location, Practitioner, Specialty, Technique

# --------------------------------------------------------------------------
# Sinks: where the rows go
# --------------------------------------------------------------------------


def _geo_columns(model, columns: Sequence[str]) -> list[int]:
    return [i for i, name in enumerate(columns) if isinstance(model._meta.get_field(name), GeometryField)]


class Sink:
    """Writes batches of rows (tuples in `columns` order) into a model's table."""

    def reserve_ids(self, model, count: int) -> int:
        raise NotImplementedError

    def write(self, model, columns: Sequence[str], rows: list[tuple]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Bring ids and planner statistics up to date after loading."""


class CopySink(Sink):
    """COPY ... FROM STDIN through psycopg 3: PostgreSQL only, several times faster than INSERT."""

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

    def write(self, model, columns, rows):
        geo = _geo_columns(model, columns)
        quote = connection.ops.quote_name
        sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(sql) as copy:
                if geo:
                    for row in rows:
                        row = list(row)
                        for i in geo:
                            row[i] = row[i].ewkt()
                        copy.write_row(row)
                else:
                    for row in rows:
                        copy.write_row(row)

    def finish(self):
        # The vocabularies too: they never change enough for autovacuum to
        # analyze them, and without statistics the planner guesses that a
        # slug matches ~1% of practitioners and picks a hash join over every
        # practitioner with a term instead of the KNN index scan.
        vocabularies = [Specialty._meta.db_table, Technique._meta.db_table, Language._meta.db_table]
        tables = ", ".join(connection.ops.quote_name(t) for t in directory_tables() + vocabularies)
        with connection.cursor() as cursor:
            # VACUUM also sets hint bits and the visibility map, so the first
            # searches do not pay for that; it cannot run inside a transaction.
            cursor.execute(f"ANALYZE {tables}" if connection.in_atomic_block else f"VACUUM (ANALYZE) {tables}")


def copy_instances(instances: Sequence) -> None:
    """Insert unsaved model instances of one model by COPY, giving each its id first (as
    bulk_create would, several times faster: the ORM's INSERT of the demo's credentials and
    decisions was half of what remained of their stage). auto_now fields are set as on save."""
    if not instances:
        return
    model = type(instances[0])
    sink = CopySink()
    start = sink.reserve_ids(model, len(instances))
    fields = [field for field in model._meta.concrete_fields]
    for offset, instance in enumerate(instances):
        instance.pk = start + offset
    rows = [
        tuple(field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields)
        for instance in instances
    ]
    sink.write(model, [field.column for field in fields], rows)


def directory_tables() -> list[str]:
    """The tables the seed writes (the vocabularies it only reads are not among them)."""
    models = [Clinic, Location, Practitioner, Listing]
    through = [Practitioner.specialties.through, Practitioner.techniques.through, Practitioner.languages.through]
    return [m._meta.db_table for m in models + through]


def default_sink() -> Sink:
    return CopySink()
