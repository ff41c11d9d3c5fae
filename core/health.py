"""The health check a load balancer asks: each dependency's state, and a status code it can act on.

503 only when this process cannot serve (the database does not answer):
with the cache down the search still answers (core.cache) and with the
broker down requests are still taken (their notifications wait in their
outbox), so those make the answer "degraded", still 200. The public sees
"ok", "down" or "not configured" per dependency, never an error's text
(which can name hosts and users); the text goes to the log.
"""

import logging

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

PROBE_KEY = "healthz:probe"


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _cache() -> str:
    strict_get = getattr(cache, "get_strict", cache.get)
    strict_get(PROBE_KEY)
    return "ok"


def _broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not configured"  # tasks run in-process
    with current_app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
        broker.ensure_connection(max_retries=1, timeout=1)
    return "ok"


CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


@never_cache
@require_GET
def healthz(request):
    """{"status": "ok" | "degraded" | "down", "database": ..., "cache": ..., "broker": ...}."""
    states = {}
    for name, check in CHECKS.items():
        try:
            states[name] = check()
        except Exception as exc:  # any failure of a dependency is its state, not a 500
            logger.error("Health check: %s is down (%s: %s).", name, type(exc).__name__, exc)
            states[name] = "down"
    if states["database"] != "ok":
        return JsonResponse({"status": "down", **states}, status=503)
    degraded = any(state == "down" for state in states.values())
    return JsonResponse({"status": "degraded" if degraded else "ok", **states})
