"""Database helpers the apps share."""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def planner_setting(name: str, value: str):
    """Run the statements inside with a PostgreSQL setting changed for them only.

    SET LOCAL in a transaction of its own (a savepoint inside an outer one);
    `name` and `value` are the caller's constants, never a client's input.
    """
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL {name} = {value}")
        yield
        if nested:
            # SET LOCAL outlives a savepoint: the outer transaction's later
            # queries (tests, ATOMIC_REQUESTS) need the setting back.
            cursor.execute(f"RESET {name}")
