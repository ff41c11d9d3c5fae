"""Empty a demo database: the directory's rows and the credentials and notices that hang off them."""

from __future__ import annotations

from django.db import connection

from credentials.models import ClinicDigest, Credential, ExpiryNotification, ScanRun, Verification
from directory.models import ClinicMembership, ConsultationRequest

from .sinks import directory_tables


def flushed_tables() -> list[str]:
    """What a flush empties: what the seed writes, and every row about those rows.

    The credentials app's tables are named rather than left to CASCADE, so a
    reader sees what goes; state rules, credential vocabularies and user
    accounts stay (an admin keeps them, not the seed). The scan records go
    too: a record of notices about credentials that no longer exist would
    only mislead, and without one the next scan catches up a full month.
    """
    directory = [ClinicMembership, ConsultationRequest]
    credentials = [Credential, Verification, ExpiryNotification, ClinicDigest, ScanRun]
    return directory_tables() + [model._meta.db_table for model in directory + credentials]


def flush_directory() -> None:
    """Delete every clinic, location, practitioner and listing, their credentials and the
    expiry outbox, and restart the ids at 1.

    TRUNCATE, not DELETE: decisions are append-only down to a database
    trigger that refuses DELETE, and TRUNCATE is not a row operation.
    CASCADE still empties any table added later that points at these.
    """
    tables = ", ".join(connection.ops.quote_name(t) for t in flushed_tables())
    # Deferred foreign-key checks still pending in this transaction
    # would make TRUNCATE refuse; run them now.
    connection.check_constraints()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
