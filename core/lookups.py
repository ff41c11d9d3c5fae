"""Lookups written the way an index of the directory can serve them.

Case-insensitive text lookups as PostgreSQL's ILIKE, so a plain pg_trgm index serves them.

Django writes `name__icontains="ngu"` as `UPPER(name::text) LIKE UPPER('%ngu%')`.
A GIN trigram index on `name` does not serve that expression, so each
searched name needed a second trigram index on `UPPER(name)`: at 1M
practitioners the two on the listings' names were 138 MB each and took
20 s each to build in the demo seed (bench/seed.py), and every write of a
name updated both. pg_trgm serves `ILIKE` from the index on the column
itself (its trigrams are case-folded), with the same plan and speed
(bench/README.md, "One trigram index per name").

`icontains`, `istartswith` and `iendswith` on text columns are therefore
registered here as `column ILIKE pattern`: every filter, admin search and
FHIR name search that asks for them is served by the name's trigram index.
ILIKE folds case with lower(), UPPER with upper(): they differ only for a
few characters without a one-to-one case pair (ſ, ẞ, dotless ı), never in
a name the directory holds.

`intarray_overlap` is an integer array's `overlap` written with intarray's own
operator (`OPERATOR(intarray.&&)`), so an index with intarray's GiST operator
class serves it (directory migration 0027: the listings' languages in the
search's spatial index). intarray lives in a schema of its own, outside the
search path: installed in public, its operators would take over every
`integer[] && integer[]` in the database, which PostgreSQL's own operator
answers and its GIN array indexes serve.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.fields.array import ArrayOverlap
from django.db.models import CharField, TextField
from django.db.models.lookups import IContains, IEndsWith, IStartsWith, Lookup


class ILikeMixin:
    """The case-sensitive lookup's SQL (`LIKE`, its pattern and its `::text` cast), with
    `ILIKE` for `LIKE` and no UPPER on either side."""

    sensitive: str  # the lookup this one is the case-insensitive form of

    def process_lhs(self, compiler, connection, lhs=None):
        if connection.vendor != "postgresql":
            return super().process_lhs(compiler, connection, lhs)
        sql, params = Lookup.process_lhs(self, compiler, connection, lhs)
        internal_type = self.lhs.output_field.get_internal_type()
        return connection.ops.lookup_cast(self.sensitive, internal_type) % sql, list(params)

    def get_rhs_op(self, connection, rhs):
        if connection.vendor != "postgresql":
            return super().get_rhs_op(connection, rhs)
        if hasattr(self.rhs, "as_sql") or self.bilateral_transforms:
            like = connection.pattern_ops[self.sensitive].format(connection.pattern_esc).format(rhs)
        else:
            like = connection.operators[self.sensitive] % rhs
        return f"I{like}"


class ILikeContains(ILikeMixin, IContains):
    sensitive = "contains"


class ILikeStartsWith(ILikeMixin, IStartsWith):
    sensitive = "startswith"


class ILikeEndsWith(ILikeMixin, IEndsWith):
    sensitive = "endswith"


# The schema intarray is installed in (directory migration 0027).
INTARRAY_SCHEMA = "intarray"


class IntArrayOverlap(ArrayOverlap):
    """`overlap` ("any of them") of integer arrays, with intarray's operator: the same rows."""

    lookup_name = "intarray_overlap"
    postgres_operator = f"OPERATOR({INTARRAY_SCHEMA}.&&)"


def register() -> None:
    """Make the three the text fields' own `icontains`, `istartswith` and `iendswith`, and
    give array fields `intarray_overlap`."""
    for field in (CharField, TextField):
        for lookup in (ILikeContains, ILikeStartsWith, ILikeEndsWith):
            field.register_lookup(lookup)
    ArrayField.register_lookup(IntArrayOverlap)
