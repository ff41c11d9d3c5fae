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


def _stat(pid: int) -> tuple[str, list[str]]:
    """A process's program name and the fields after it, from /proc/<pid>/stat (the name is
    in parentheses and may hold spaces)."""
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    return text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()


def _cpu(fields: list[str]) -> float:
    """utime + stime in seconds, from the fields after the name."""
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process on this machine, from /proc/<pid>/stat."""
    return _cpu(_stat(pid)[1])


def cpu_by_program(server_pid: int) -> dict[int, tuple[str, float]]:
    """The CPU seconds so far of every process on this machine, by pid, with its program:
    "server" (`server_pid` and its children), "database" (PostgreSQL's processes), "other".
    A benchmark that runs everything on this machine takes one before and one after
    (`cpu_spent`): the CPU each part spent is steadier than the wall time a noisy
    machine gives."""
    processes = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            name, fields = _stat(pid)
        except OSError:  # gone meanwhile
            continue
        if server_pid in (pid, int(fields[1])):  # itself, or its parent
            program = "server"
        else:
            program = "database" if name == "postgres" else "other"
        processes[pid] = (program, _cpu(fields))
    return processes


def cpu_spent(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds by program between two `cpu_by_program`: of the processes alive at the
    second (a process that ended between them is not counted; the server's workers and
    their database connections live through a run)."""
    spent = dict.fromkeys(("server", "database", "other"), 0.0)
    for pid, (program, used) in after.items():
        spent[program] += used - before.get(pid, (program, 0.0))[1]
    return spent
