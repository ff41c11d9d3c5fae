"""Planner settings changed for some statements only (core.db): never for the statements after them."""

import psycopg
import pytest
from django.db import DataError, connection, transaction

from core.db import planner_settings, reading_with_planner_settings

# Outside a transaction, as a request runs: the tests' own transaction would hide what is left behind.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SETTINGS = {"enable_sort": "off", "enable_bitmapscan": "off"}


def current(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


def pipelined() -> bool:
    return connection.connection.pgconn.pipeline_status != psycopg.pq.PipelineStatus.OFF


def test_reads_outside_a_transaction_run_in_one_pipeline_with_the_settings():
    assert connection.get_autocommit()
    with reading_with_planner_settings(SETTINGS):
        assert pipelined()
        assert [current(name) for name in SETTINGS] == ["off", "off"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM generate_series(1, 3)")
            assert cursor.fetchone() == (3,)
    assert not pipelined()
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert [current(name) for name in SETTINGS] == ["on", "on"]


def test_an_error_inside_leaves_the_settings_and_the_connection_as_they_were():
    with pytest.raises(DataError), reading_with_planner_settings(SETTINGS), connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")
        cursor.fetchall()
    assert not pipelined()
    assert [current(name) for name in SETTINGS] == ["on", "on"]


def test_inside_a_transaction_the_settings_end_with_the_block_and_the_transaction_goes_on():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('application_name', 'outer', true)")
        with reading_with_planner_settings(SETTINGS):
            assert not pipelined()
            assert [current(name) for name in SETTINGS] == ["off", "off"]
        assert [current(name) for name in SETTINGS] == ["on", "on"]
        assert current("application_name") == "outer"


def test_planner_settings_still_give_their_own_transaction():
    with planner_settings(SETTINGS):
        assert connection.in_atomic_block
        assert [current(name) for name in SETTINGS] == ["off", "off"]
    assert not connection.in_atomic_block
    assert [current(name) for name in SETTINGS] == ["on", "on"]


def test_an_exception_before_any_statement_inside_leaves_the_connection_as_it_was():
    with pytest.raises(ValueError), reading_with_planner_settings(SETTINGS):
        raise ValueError("the caller's own")
    assert not pipelined()
    assert [current(name) for name in SETTINGS] == ["on", "on"]
