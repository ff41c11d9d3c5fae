"""A search's compiled SQL, kept per shape of request and reused with the next request's values.

Building a queryset from a request's filters and compiling it to SQL cost
about two thirds of the Python of the nearest-20 search at 1M practitioners
(bench/search_profile.py: 6-7 of ~11 ms), though requests of one shape
(which filters are given, how many values each, the page's bounds) always
compile to the same SQL text and differ only in its parameters (the origin,
the radius, the day, the term ids...). Django has no statement cache of its
own, so this is one, kept to what the search needs:

* A shape is seen the first time: its queryset is compiled as usual, and
  compiled again from *marker* inputs, a distinct value of the same type in
  place of each of the request's inputs. Each parameter of the marker
  compile either is one of the markers (possibly converted by the ORM, e.g.
  an int wrapped as `Int4`, a point as a PostGIS adapter) or is the same in
  both compiles (a constant of the shape). The *recipe* records which.
  A text may also appear as a `contains` LIKE pattern (icontains, written as
  ILIKE by core.lookups): the marker between two `%`, rebuilt from the
  request's text with Django's escaping of `%`, `_` and backslashes. An
  `Array` input (the name search's candidates' ids) is one array parameter,
  whatever its length.
  A shape is refused (compiled as usual every time) when the two SQL texts
  differ, a parameter is explained by neither, or the recipe applied to the
  request's own inputs does not rebuild its parameters exactly (type and
  value).
* The next request of that shape builds its parameters from the recipe
  and runs the kept SQL through the kept compiler. Its rows become model
  instances as Django's iterable makes them (related rows, annotations,
  converters), by a plan of the kept select list (`Instances`), or by
  Django's iterable itself for what the plan does not cover.

The cache lives in the process, bounded; the vocabulary and the code do not
change while a process runs (the recipe holds no vocabulary, only which
input goes where), and tests forget it with `forget()`.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import itertools
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.db.backends.postgis.adapter import PostGISAdapter
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet, signals
from django.db.models.base import ModelState
from django.db.models.expressions import Col
from django.db.models.query import FlatValuesListIterable, ModelIterable
from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE, MULTI

# Shapes kept per process. A shape is a combination of given filters, list
# lengths and page bounds: common traffic is a few dozen, but a client
# paging by odd offsets makes a new one per page. A kept statement with its
# compiler took about 73 KB (tracemalloc, the nearest-20 search), so this
# bounds the cache near 19 MB a process; when full, the older half goes.
MAX_SHAPES = 256

_REFUSED = object()
_shapes: dict[Hashable, Any] = {}


class Array(tuple):
    """An input passed whole as one array parameter (`= ANY(%s)`, directory.selectors.EqualsAny):
    its length is not part of the shape, unlike a list's (one parameter an item)."""


def forget() -> None:
    """Drop every kept statement (tests, after changing what a shape compiles to)."""
    _shapes.clear()


def kept_shapes() -> int:
    """How many shapes have a kept statement (the refused ones not counted)."""
    return sum(statement is not _REFUSED for statement in _shapes.values())


# --- markers -----------------------------------------------------------------


def _markers(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A distinct stand-in of the same type for each input (lists item by item).

    Numbers are around a billion and dates in 1901, which no request's input
    is, so a marker is never mistaken for a constant of the statement; they
    are positive and within a 32-bit integer because Django drops a
    comparison it can tell is always true (`>= -1` on a positive integer
    field), which would make the marked SQL another shape.
    """
    counter = itertools.count(1)

    def marker(value):
        n = next(counter)
        if value is None or isinstance(value, bool):
            return value  # part of the shape, not of the parameters
        if isinstance(value, Array):
            return Array((1_000_000_000 + n,))
        if isinstance(value, (list, tuple)):
            return type(value)(marker(item) for item in value)
        if isinstance(value, Point):
            return Point(-179.0 + n / 1000, -89.0 + n / 1000, srid=value.srid)
        if isinstance(value, int):
            return 1_000_000_000 + n
        if isinstance(value, float):
            return 1_000_000_000.5 + n
        if isinstance(value, decimal.Decimal):
            return decimal.Decimal(1_000_000_000 + n)
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return datetime.date(1901, 1, 1) + datetime.timedelta(days=n)
        if isinstance(value, str):
            return f"\x1fmarker{n}"
        raise TypeError(f"No marker for {type(value).__name__}")

    return {name: marker(value) for name, value in inputs.items()}


def shape_of(inputs: Mapping[str, Any]) -> tuple:
    """What of the inputs decides the SQL text: which are given, list lengths, and booleans."""

    def part(value):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, Array):
            return "array"
        if isinstance(value, (list, tuple)):
            return ("list", len(value))
        return type(value).__name__

    return tuple((name, part(value)) for name, value in sorted(inputs.items()))


def _leaves(inputs: Mapping[str, Any]):
    """(path, value) of every scalar input: a list's items one by one."""
    for name, value in inputs.items():
        if isinstance(value, (list, tuple)) and not isinstance(value, Array):
            for index, item in enumerate(value):
                yield (name, index), item
        elif value is not None and not isinstance(value, bool):
            yield (name, None), value


def _fingerprint(value) -> Hashable:
    if isinstance(value, PostGISAdapter):
        return ("geometry", value.ewkb)
    if isinstance(value, GEOSGeometry):
        return ("geometry", bytes(value.ewkb))
    if isinstance(value, (list, Array)):
        return ("array", tuple(value))
    return (type(value) if isinstance(value, (str, datetime.date)) else "number", value)


def _same(a, b) -> bool:
    """The same parameter, as the database would receive it."""
    if type(a) is not type(b):
        return False
    if isinstance(a, PostGISAdapter):
        return (a.ewkb, a.srid, a.geography) == (b.ewkb, b.srid, b.geography)
    return a == b


# --- the recipe --------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One parameter: a constant of the shape, or an input (`path`) converted like the ORM did."""

    constant: Any = None
    path: tuple[str, int | None] | None = None
    convert: Callable[[Any], Any] | None = None

    def value(self, inputs: Mapping[str, Any]):
        if self.path is None:
            return self.constant
        name, index = self.path
        value = inputs[name] if index is None else inputs[name][index]
        return value if self.convert is None else self.convert(value)


# One function per kind of adapter, so that slots of one input converted alike can be told (Statement.params).
_ADAPTERS = {
    geography: lambda point, geography=geography: PostGISAdapter(point, geography=geography)
    for geography in (False, True)
}


def like_contains(text: str) -> str:
    """The pattern Django's `contains` lookups give LIKE for a text: its wildcards and
    backslashes escaped, between two `%`."""
    return f"%{connections[DEFAULT_DB_ALIAS].ops.prep_for_like_query(text)}%"


def _slot_for(param, markers_by_fingerprint) -> Slot | None:
    path = markers_by_fingerprint.get(_fingerprint(param))
    if path is None and isinstance(param, str) and len(param) > 2 and param[0] == param[-1] == "%":
        # A marker as a `contains` pattern (icontains, ILIKE): the marker has no character
        # to escape, and derive_recipe checks the request's own pattern is rebuilt exactly.
        path = markers_by_fingerprint.get(_fingerprint(param[1:-1]))
        return None if path is None else Slot(path=path, convert=like_contains)
    if path is None:
        return None
    if isinstance(param, PostGISAdapter):
        return Slot(path=path, convert=_ADAPTERS[param.geography])
    marker_type = type(param)
    return Slot(path=path, convert=None if marker_type in (str, float, datetime.date, Array) else marker_type)


def derive_recipe(
    real: tuple[str, tuple], marked: tuple[str, tuple], inputs: Mapping[str, Any], markers: Mapping[str, Any]
) -> tuple[Slot, ...] | None:
    """The recipe that rebuilds `real`'s parameters from inputs, or None when they are not fully explained."""
    (sql, params), (marked_sql, marked_params) = real, marked
    if sql != marked_sql or len(params) != len(marked_params):
        return None
    by_fingerprint = {}
    for path, value in _leaves(markers):
        fingerprint = _fingerprint(value)
        if fingerprint in by_fingerprint:
            return None  # two inputs with one marker: which is which cannot be told
        by_fingerprint[fingerprint] = path
    slots = []
    for param, marked_param in zip(params, marked_params, strict=True):
        try:
            slot = _slot_for(marked_param, by_fingerprint)
        except TypeError:  # an unhashable parameter: not something a marker became
            slot = None
        if slot is None:
            if not _same(param, marked_param):
                return None  # depends on the inputs in a way the markers do not show
            slot = Slot(constant=param)
        slots.append(slot)
    slots = tuple(slots)
    try:
        rebuilt = [slot.value(inputs) for slot in slots]
    except (TypeError, ValueError, KeyError, IndexError, decimal.InvalidOperation):
        return None
    if not all(_same(a, b) for a, b in zip(rebuilt, params, strict=True)):
        return None
    return slots


# --- running a kept statement ------------------------------------------------


class _KeptCompiler:
    """Mixed in before the backend's compiler class: `as_sql` answers the kept statement."""

    kept: tuple[str, list]

    def as_sql(self, with_limits=True, with_col_aliases=False):
        return self.kept


_compiler_classes: dict[type, type] = {}


def _kept_compiler(template, sql: str, params: list, using: str):
    cls = type(template)
    kept_cls = _compiler_classes.get(cls)
    if kept_cls is None:
        kept_cls = _compiler_classes[cls] = type(f"Kept{cls.__name__}", (_KeptCompiler, cls), {})
    compiler = kept_cls.__new__(kept_cls)
    compiler.__dict__.update(template.__dict__)
    compiler.connection = connections[using]  # the calling thread's connection
    compiler.kept = (sql, params)
    return compiler


class _Run:
    """What ModelIterable reads of a queryset, for one run of a kept statement."""

    _known_related_objects: dict = {}

    def __init__(self, compiler, using: str, model):
        self.db, self.model, self.query = using, model, self
        self._compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._compiler


# --- model instances from a kept statement's rows ----------------------------


@dataclass(frozen=True)
class _Part:
    """One model of a row, the queried one or one reached by select_related: its columns
    [start, stop), the attributes they set, and select_related's setters that cache it
    on the instance it was reached from (`cache`) and that one on it (`cache_back`)."""

    model: type
    start: int
    stop: int
    attnames: tuple[str, ...]
    pk: int
    parts: tuple[_Part, ...]
    cache: Callable[[Any, Any], None] | None = None
    cache_back: Callable[[Any, Any], None] | None = None


def _part(klass_info: dict, select: list) -> _Part | None:
    model = klass_info["model"]
    if klass_info.get("from_parent") or model.__init__ is not Model.__init__:
        return None
    if model.from_db.__func__ is not Model.from_db.__func__:
        return None
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return None
    fields = klass_info["select_fields"]
    start, stop = fields[0], fields[-1] + 1
    if list(fields) != list(range(start, stop)):
        return None
    attnames = tuple(select[index][0].target.attname for index in fields)
    if model._meta.pk.attname not in attnames:
        return None
    parts = []
    for related in klass_info.get("related_klass_infos", []):
        part = _part(related, select)
        if part is None:
            return None
        parts.append(dataclasses.replace(part, cache=related["local_setter"], cache_back=related["remote_setter"]))
    return _Part(model, start, stop, attnames, attnames.index(model._meta.pk.attname), tuple(parts))


@dataclass(frozen=True)
class Instances:
    """The model instances of a kept statement's rows, planned once from its select list.

    Django's iterable (ModelIterable, from_db, RelatedPopulator) redoes that planning on
    every run and builds each instance through `Model.__init__`, which walks every field
    of the model and passes each loaded value through its descriptor. Here an instance
    is what `from_db` leaves: a fresh `ModelState` (not adding, from `db`) and the loaded
    values as attributes, the others deferred; related instances are cached as
    select_related caches them, and annotations set as attributes. For the nearest-20
    search (four models a row: a listing, its practitioner, its location and clinic)
    that took the request's CPU from 3.62 to 3.38 ms at 1M practitioners, about 14 us
    a row.

    A geometry column of a model is left as the database's hex EWKB: GeoDjango's
    descriptor (SpatialProxy) makes it a GEOS geometry on first access, and the search
    results read a point's coordinates without GEOS (directory.results.lon_lat). Parsing
    each location's point and reading its ordinates through GEOS cost another 0.54 ms
    a request (3.38 to 2.84 ms), about 30 us a row.

    The converters of the other columns are kept with the plan: those of fields and
    expressions, made for any thread. `plan` answers None (Django's iterable is used,
    which asks for converters on every run) for a geometry that is not a model's
    column, and for what is not a plain select of each model's columns in a row:
    inherited models (their parent's columns come in another order), models with
    their own `__init__` or `from_db`, or listeners of `pre_init`/`post_init`.
    """

    root: _Part
    annotations: tuple[tuple[str, int], ...]
    converters: tuple[tuple[int, tuple, Any], ...]

    @classmethod
    def plan(cls, compiler) -> Instances | None:
        select, klass_info = compiler.select, compiler.klass_info
        if klass_info is None or compiler.has_extra_select:
            return None
        root = _part(klass_info, select)
        if root is None:
            return None
        expressions = [column[0] for column in select[: compiler.col_count]]
        if compiler.has_composite_fields(expressions):
            return None
        columns = set(_columns(root))
        converters = []
        for position, (functions, expression) in compiler.get_converters(expressions).items():
            if isinstance(expression.output_field, GeometryField):
                if not (isinstance(expression, Col) and position in columns):
                    # PostGIS's converter reads with its thread's WKB reader: it cannot be kept.
                    return None
                continue  # a model's geometry, left as the database's text (above)
            converters.append((position, tuple(functions), expression))
        return cls(root, tuple(compiler.annotation_col_map.items()), tuple(converters))

    def of(self, compiler, using: str) -> list:
        connection = compiler.connection
        instances = []
        for chunk in compiler.execute_sql(MULTI, chunked_fetch=False, chunk_size=GET_ITERATOR_CHUNK_SIZE):
            for row in chunk:
                if self.converters:
                    row = list(row)
                    for position, functions, expression in self.converters:
                        value = row[position]
                        for function in functions:
                            value = function(value, expression, connection)
                        row[position] = value
                instance = _instance(self.root, row, using)
                for name, position in self.annotations:
                    setattr(instance, name, row[position])
                instances.append(instance)
        return instances


def _columns(part: _Part):
    """The positions of the columns that set a model's attributes."""
    yield from range(part.start, part.stop)
    for child in part.parts:
        yield from _columns(child)


def _instance(part: _Part, row, db: str):
    values = row[part.start : part.stop]
    if values[part.pk] is None:
        return None  # an outer join found no related row
    instance = part.model.__new__(part.model)
    state = instance._state = ModelState()
    state.adding, state.db = False, db
    instance.__dict__.update(zip(part.attnames, values))
    for child in part.parts:
        related = _instance(child, row, db)
        child.cache(instance, related)
        if related is not None:
            child.cache_back(related, instance)
    return instance


@dataclass(frozen=True)
class Statement:
    """A kept statement: its SQL, its recipe, and the compiler that wrote it (its select list)."""

    sql: str
    recipe: tuple[Slot, ...]
    compiler: Any
    model: type
    annotations: frozenset[str]
    instances: Instances | None = None
    flat: bool = False  # a values_list(..., flat=True): the first column of each row

    def params(self, inputs: Mapping[str, Any]) -> list:
        # An input converted alike in several places is converted once: the origin is
        # 8 of the nearest-20 search's parameters, and adapting a point for PostGIS
        # (its EWKB, through GEOS) took 7 us each time.
        made = {}
        params = []
        for slot in self.recipe:
            if slot.path is None:
                params.append(slot.constant)
                continue
            key = (slot.path, slot.convert)
            if key not in made:
                made[key] = slot.value(inputs)
            params.append(made[key])
        return params

    def rows(self, inputs: Mapping[str, Any], using: str) -> list:
        compiler = _kept_compiler(self.compiler, self.sql, self.params(inputs), using)
        if self.flat:
            return [row[0] for row in compiler.results_iter()]
        if self.instances is not None:
            return self.instances.of(compiler, using)
        return list(ModelIterable(_Run(compiler, using, self.model)))


def prepare(
    build: Callable[[Mapping[str, Any]], QuerySet], inputs: Mapping[str, Any], using: str
) -> tuple[Statement | None, QuerySet]:
    """Compile `build(inputs)` and derive its recipe; returns (the statement or None if refused, the queryset)."""
    queryset = build(inputs)
    flat = queryset._iterable_class is FlatValuesListIterable
    if not flat and queryset._iterable_class is not ModelIterable:
        return None, queryset
    markers = _markers(inputs)
    try:
        compiler = queryset.query.get_compiler(using=using)
        real = compiler.as_sql()
        marked = build(markers).query.get_compiler(using=using).as_sql()
    except EmptyResultSet:
        return None, queryset
    recipe = derive_recipe(real, marked, inputs, markers)
    if recipe is None:
        return None, queryset
    statement = Statement(
        sql=real[0],
        recipe=recipe,
        compiler=compiler,
        model=queryset.model,
        annotations=frozenset(queryset.query.annotations),
        instances=None if flat else Instances.plan(compiler),
        flat=flat,
    )
    return statement, queryset


def fetch(
    key: Hashable,
    build: Callable[[Mapping[str, Any]], QuerySet],
    inputs: Mapping[str, Any],
    *,
    using: str = "default",
    run_plain: Callable[[QuerySet], list],
    run_kept: Callable[[Statement, Callable[[], list]], list],
) -> list:
    """The rows of `build(inputs)`, from the statement kept for (key, shape of the inputs).

    `build` must make the whole queryset (page bounds included) from the
    inputs alone. The first request of a shape, and every request of a
    refused one, runs `run_plain(queryset)`; a kept statement runs as
    `run_kept(statement, rows)` (to wrap it, say, in planner settings).
    """
    shape = (key, shape_of(inputs))
    statement = _shapes.get(shape)
    if statement is None:
        statement, queryset = prepare(build, inputs, using)
        if len(_shapes) >= MAX_SHAPES:
            for older in list(_shapes)[: MAX_SHAPES // 2]:
                _shapes.pop(older, None)
        _shapes[shape] = _REFUSED if statement is None else statement
        return run_plain(queryset)
    if statement is _REFUSED:
        return run_plain(build(inputs))
    return run_kept(statement, lambda: statement.rows(inputs, using))
