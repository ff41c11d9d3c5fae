"""Database helpers the apps share."""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def planner_setting(name: str, value: str):
    """Run the statements inside with a PostgreSQL setting changed for them only.

    SET LOCAL in a transaction of its own (a savepoint inside an outer one);
    `name` and `value` are the caller's constants, never a client's input.
    """
    with planner_settings({name: value}):
        yield


@contextmanager
def planner_settings(settings: dict[str, str]):
    """planner_setting for several settings at once, set by one statement (set_config is SET LOCAL)."""
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if len(settings) == 1:
            [(name, value)] = settings.items()
            cursor.execute(f"SET LOCAL {name} = {value}")
        else:
            cursor.execute(
                "SELECT " + ", ".join(f"set_config('{name}', '{value}', true)" for name, value in settings.items())
            )
        yield
        if nested:
            # SET LOCAL outlives a savepoint: the outer transaction's later
            # queries (tests, ATOMIC_REQUESTS) need the setting back.
            for name in settings:
                cursor.execute(f"RESET {name}")
