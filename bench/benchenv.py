"""Process set-up shared by the benchmarks: a production-like Django, imported before anything of Django's."""

import os
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# No DEBUG (no query log), throttling out of the way.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
# Anonymous clients are counted by the anonymous rate (by address), signed-in users by the per-user one.
os.environ["THROTTLE_ANON"] = "1000000/minute"
os.environ["THROTTLE_USER"] = "1000000/minute"
# The in-process benchmarks time the work itself: no answer kept from an earlier request
# (bench/load.py measures the server with the public cache, core.public_cache).
os.environ.setdefault("PUBLIC_CACHE_SECONDS", "0")
# In-process requests over plain HTTP, as behind the TLS proxy of production.
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

# whitenoise warns that collectstatic was not run; the API does not need it.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
django.setup()


def server_memory() -> str:
    """The PostgreSQL server's memory settings, for a benchmark to print beside its figures:
    the buffers and the WAL between checkpoints decide how fast bulk writes go (README.md,
    Production; bench/README.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(name || ' ' || current_setting(name), ', ' ORDER BY name) FROM pg_settings"
            " WHERE name IN ('shared_buffers', 'max_wal_size', 'work_mem')"
        )
        return cursor.fetchone()[0]
