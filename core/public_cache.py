"""Answers to the public, anonymous reads (searches, profiles), kept in the shared cache.

Most of what patients ask is asked again soon: the same ZIP code, the same
city, the same profile. Served from Redis, such a request costs a cache
read instead of a search and a page of serialising (bench/load.py measures
both). An answer is kept under a key made of

* the *generation* of the directory's data, a counter in the cache that
  goes up when a transaction that wrote to the directory's or the
  credentials' tables commits (so the next request misses and asks the
  database again),
* the day (who is qualified depends on it),
* the scheme and host (the paging links are absolute), the path, the query
  parameters in a canonical order, and the response's format;

for at most PUBLIC_CACHE_SECONDS (a bound on staleness after a write that
bypassed Django's cursor, e.g. by hand in psql). 0 turns the cache off.

How writes are seen: every database connection Django opens gets an
execute wrapper (`watch_writes`) that looks at each statement's first word
and table. An INSERT, UPDATE or DELETE on a table named in
PUBLIC_CACHE_TABLE_PREFIXES registers, once per transaction, an on-commit
bump of the generation; a rolled-back write bumps nothing. A writer cannot
forget to call it, as it could a helper. Bulk loads by COPY (the demo seed,
the NPPES and exclusion-list imports) do not go through `execute`; the
demo seed calls `public_data_changed()` itself, and the imports change
nothing a public answer shows until screening writes its matches and
requalifies, which goes through `execute`.

Only 200 answers to anonymous GETs without a session are kept: anything
personal never enters the cache. Throttling and permissions run before
the cache is asked, so a cached answer still counts against a client's rate.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from rest_framework.response import Response

from core import clock

GENERATION_KEY = "public:generation"
# Statements that may write: a data-modifying WITH (INSERT ... SELECT in a CTE) and TRUNCATE too.
WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "WITH", "TRUNCATE"})
# Response headers a kept answer carries again (the view sets Allow and Vary itself).
KEPT_HEADERS = ("Content-Type", "Link")


def generation() -> int:
    """The directory's data generation; 0 before the first write ever seen (or while Redis is away)."""
    return cache.get(GENERATION_KEY, 0)


def public_data_changed() -> None:
    """Make every kept answer stale: the next request of each goes to the database."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no counter yet: start it (add is atomic; a racing writer's incr then counts too)
        if not cache.add(GENERATION_KEY, 1, timeout=None):
            cache.incr(GENERATION_KEY)


def writes_public_table(sql: str) -> bool:
    """Whether a statement may write one of the tables public answers are made of."""
    words = sql.split(None, 1)
    if not words or words[0].upper() not in WRITES:
        return False
    text = sql.replace('"', "")
    return any(prefix in text for prefix in settings.PUBLIC_CACHE_TABLE_PREFIXES)


def watch_writes(execute, sql, params, many, context):
    """An execute wrapper: after a write to a public table, bump the generation once the
    transaction commits (at once in autocommit; never if it rolls back)."""
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and writes_public_table(sql):
        connection = context["connection"]
        # Once per transaction: callbacks of a rolled-back savepoint are dropped from
        # run_on_commit, so a later write in the same transaction registers it again.
        if not any(func is public_data_changed for _, func, _ in connection.run_on_commit):
            transaction.on_commit(public_data_changed, using=connection.alias, robust=True)
    return result


def install(sender, connection, **kwargs):
    """connection_created receiver: watch the connection's writes (once per connection object)."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def _key(request, fmt: str, today) -> str:
    query = "&".join(f"{name}={value}" for name, values in sorted(request.GET.lists()) for value in values)
    # Hashed: a query may hold any text (spaces, accents) and be long.
    asked = hashlib.sha256(
        "\n".join([request.scheme, request.get_host(), fmt, request.path, query]).encode()
    ).hexdigest()
    return f"public:{generation()}:{today.isoformat()}:{asked}"


class PublicCacheMixin:
    """For a public DRF read view: answer a repeated anonymous GET from the cache.

    Cached formats are those of `public_cache_formats` (the browsable API's
    HTML is never kept).
    """

    public_cache_formats = ("json", "geojson")

    def _public_cache_key(self, request) -> str | None:
        seconds = settings.PUBLIC_CACHE_SECONDS
        renderer = getattr(request, "accepted_renderer", None)
        if (
            not seconds
            or request.method != "GET"
            or renderer is None
            or renderer.format not in self.public_cache_formats
            or request.user.is_authenticated
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return None
        today = getattr(self, "today", None) or clock.today()
        return _key(request, renderer.format, today)

    def get(self, request, *args, **kwargs):
        self._public_key = self._public_cache_key(request)
        kept = cache.get(self._public_key) if self._public_key else None
        if kept is None:
            return super().get(request, *args, **kwargs)
        content, headers = kept
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        response["X-Cache"] = "hit"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = getattr(self, "_public_key", None)
        if key and isinstance(response, Response) and response.status_code == 200:
            response.render()  # as Django would next; now, so the bytes can be kept
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            cache.set(key, (response.content, headers), settings.PUBLIC_CACHE_SECONDS)
            response["X-Cache"] = "miss"
        return response
