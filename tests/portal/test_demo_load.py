"""How seed_demo loads: the schema it sets aside comes back exactly (built in parallel
connections once the load has committed), a failed load leaves everything as it was, a stop
during the builds is finished by the next load, and the credentials it writes as plain rows
obey the models' own rules."""

import datetime
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from credentials import services
from credentials.models import Credential, Kind, Status, Verification
from credentials.requalification import requalify_id_range
from directory.models import Clinic, Listing, Practitioner
from portal import demo
from portal.demo import sinks
from portal.demo.credentials import DEMO_VERIFIER, PENDING_SPREAD_HOURS, credential_tables, requalify_parts
from portal.models import DeferredSchemaStatement

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)


def seed_demo(*args, n=60, seed=7):
    call_command("seed_demo", f"--practitioners={n}", f"--seed={seed}", f"--today={TODAY}", "--verbosity=0", *args)


def schema():
    """Every index and constraint of the tables the seed writes, as PostgreSQL would recreate them."""
    tables = demo.directory_tables() + credential_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2", [tables]
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), condeferrable, condeferred, "
            "convalidated FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables],
        )
        constraints = cursor.fetchall()
    return indexes, constraints


@pytest.mark.parametrize("builders", ["--index-builders=1", "--index-builders=2"])
def test_the_indexes_and_constraints_set_aside_for_the_load_come_back_as_the_migrations_made_them(builders):
    before = schema()
    indexes, constraints = before
    assert any("gin_trgm_ops" in row[2] for row in indexes)
    assert any(row[2].startswith("FOREIGN KEY") and row[3] for row in constraints)

    seed_demo(builders)
    seed_demo("--flush", builders)

    assert schema() == before
    assert Credential.objects.exists()


def test_a_load_that_fails_leaves_the_directory_and_its_schema_as_they_were():
    seed_demo()
    before = schema()
    practitioners = set(Practitioner.objects.values_list("slug", flat=True))

    with mock.patch("portal.demo.credentials.verifications_insert", side_effect=RuntimeError("disk full")):
        with pytest.raises(RuntimeError, match="disk full"):
            seed_demo("--flush", seed=8)

    assert schema() == before
    assert set(Practitioner.objects.values_list("slug", flat=True)) == practitioners
    assert Clinic.objects.exists()


@pytest.fixture
def rebuilt_after():
    """Whatever a test leaves unbuilt is built at its end: the builds commit, and later tests
    share the database."""
    yield
    sinks.restore_deferred()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_committed_load_builds_its_indexes_in_connections_of_their_own(rebuilt_after):
    before = schema()
    set_aside = sum(
        len(sinks.deferred_schema(table).restores) for table in demo.directory_tables() + credential_tables()
    )
    connections = []
    real_build = sinks._build

    def build(statement):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            connections.append(cursor.fetchone()[0])
        real_build(statement)

    with mock.patch("portal.demo.sinks._build", build):
        seed_demo("--flush", "--index-builders=2")

    assert schema() == before
    assert not DeferredSchemaStatement.objects.exists()
    assert len(connections) == set_aside > 20
    assert len(set(connections)) > 1  # each build in a connection of its own thread
    assert Practitioner.objects.count() == 60
    # The requalification ran beside the builds: every window agrees with the credentials.
    assert Listing.objects.qualified_on(TODAY).exists()
    assert services.qualification_repair(today=TODAY) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_requalification_part_that_fails_leaves_its_tables_builds_recorded(rebuilt_after):
    before = schema()
    real = services.practitioners_requalify_between
    second_part = []

    def requalify(*, first, last, today):
        # The load's 60 practitioners in two parts of 30, by ranges of 20: the second part fails
        # on its second range, after its first.
        if second_part and first == second_part[0] + 20:
            raise RuntimeError("canceling statement due to user request")
        return real(first=first, last=last, today=today)

    def parts(ids, count, *, today):
        second_part.append(ids.start + 30)
        return requalify_parts(ids, count, today=today)

    with (
        mock.patch("portal.demo.credentials.SETTLE_CHUNK", 20),
        mock.patch("credentials.services.practitioners_requalify_between", requalify),
        mock.patch("portal.management.commands.seed_demo.requalify_parts", parts),
    ):
        with pytest.raises(RuntimeError, match="user request"):
            seed_demo("--flush", "--index-builders=2")

    # The load committed; the part that failed rolled back whole (the other committed), the
    # compaction did not run, and the builds of the two tables the parts rewrite wait,
    # recorded, for the next load; the other tables' are built.
    assert Practitioner.objects.count() == 60
    waiting = set(DeferredSchemaStatement.objects.values_list("table", flat=True))
    assert waiting == {Listing._meta.db_table, Practitioner._meta.db_table}
    # The first part's listings agree with their credentials; the second's keep the stand-in days.
    first_id = Practitioner.objects.order_by("id").values_list("id", flat=True).first()
    with transaction.atomic():
        assert requalify_id_range(first_id, first_id + 29, TODAY) == (0, 30)
        assert requalify_id_range(first_id + 30, first_id + 59, TODAY)[0] > 0
        transaction.set_rollback(True)

    seed_demo("--flush", "--index-builders=2")

    assert schema() == before
    assert not DeferredSchemaStatement.objects.exists()
    assert services.qualification_repair(today=TODAY) == 0


def test_the_requalification_parts_cover_every_practitioner_once():
    ids = range(101, 1102)
    for count in (1, 2, 3, 7):
        covered = []
        for step in requalify_parts(ids, count, today=TODAY):
            covered.extend(step.args[0])
        assert covered == list(ids), count
    assert requalify_parts(range(5, 5), 2, today=TODAY) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_seed_stopped_during_its_builds_is_finished_by_the_next_one(rebuilt_after):
    before = schema()
    real_build = sinks._build

    def build(statement):
        if "listing_names_trgm" in statement.sql:
            raise RuntimeError("terminating connection due to administrator command")
        real_build(statement)

    with mock.patch("portal.demo.sinks._build", build):
        with pytest.raises(RuntimeError, match="administrator command"):
            seed_demo("--flush", "--index-builders=2")

    # The rows are loaded; only the index whose build stopped is missing, and recorded.
    assert Practitioner.objects.count() == 60
    [missing] = DeferredSchemaStatement.objects.all()
    assert "listing_names_trgm" in missing.sql
    indexes_now = {name for _, name, _ in schema()[0]}
    assert {name for _, name, _ in before[0]} - indexes_now == {"listing_names_trgm"}

    seed_demo("--if-empty")  # builds what is recorded, then leaves the directory as it is

    assert schema() == before
    assert not DeferredSchemaStatement.objects.exists()


def credentials_snapshot():
    return sorted(
        Credential.objects.values_list(
            "practitioner__slug",
            "kind",
            "name",
            "issuer",
            "jurisdiction",
            "license_number",
            "hours",
            "technique__slug",
            "issued_on",
            "expires_on",
            "status",
            "method",
            "next_review_due",
        )
    )


def test_the_same_seed_gives_the_same_credentials():
    seed_demo()
    first = credentials_snapshot()
    seed_demo("--flush")

    assert credentials_snapshot() == first
    seed_demo("--flush", seed=8)
    assert credentials_snapshot() != first


def test_the_credentials_written_as_rows_obey_the_models_rules():
    seed_demo(n=200)

    credentials = list(Credential.objects.select_related("practitioner"))
    decisions = {row.credential_id: row for row in Verification.objects.select_related("decided_by")}
    assert {Status.VERIFIED, Status.PENDING} == {credential.status for credential in credentials}
    assert {Kind.LICENSE, Kind.TRAINING, Kind.CERTIFICATION} == {credential.kind for credential in credentials}
    newest = max(credential.updated_at for credential in credentials)
    for credential in credentials:
        credential.full_clean()
        if credential.status == Status.VERIFIED:
            # verified_at is the seed's moment, moved back by whole days to the day verified.
            verified_on = TODAY - (newest - credential.verified_at).days * datetime.timedelta(days=1)
            assert credential.next_review_due == credential.review_due_after_verification(verified_on)
            decision = decisions.pop(credential.id)
            assert (decision.decided_at, decision.method) == (credential.verified_at, credential.method)
            assert (decision.status_before, decision.status_after) == (Status.PENDING, Status.VERIFIED)
            assert decision.decided_by.username == DEMO_VERIFIER
        else:
            assert (credential.verified_at, credential.method, credential.next_review_due) == (None, "", None)
            age = newest - credential.created_at
            assert datetime.timedelta(0) <= age < datetime.timedelta(hours=PENDING_SPREAD_HOURS)
    assert not decisions, "a decision for every verified credential and no other"
    assert Credential.objects.review_due(TODAY).filter(kind=Kind.CERTIFICATION).exists()
