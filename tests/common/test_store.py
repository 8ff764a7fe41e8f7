"""The store's two backends behave as one: what SQLite's dialect says reaches PostgreSQL unchanged
in meaning, a slot's version is recorded once even by a writer that bypasses the lock, and a
PostgreSQL that is down, empty or named by the home's file is said as such."""

from __future__ import annotations

import json
import socket
import time

import pytest

from pipelines.common.settings import DATABASE_FILE, Settings
from pipelines.common.store import STORE_ERRORS, postgres_query, redacted
from tests.conftest import EXAMPLES, ledger_of


def test_parameters_become_psycopgs_and_quoted_text_keeps_its_question_marks():
    sql = "select * from t where a = ? and b like '100%?' and c = :name and d = \"x\" and e like '%'"
    assert postgres_query(sql) == (
        "select * from t where a = %s and b like '100%%?' and c = %(name)s and d = \"x\" and e like '%%'"
    )


def test_a_password_is_never_shown():
    assert redacted("postgresql://ciess:s3cret@db.example.org:5432/ciess") == (
        "postgresql://ciess:***@db.example.org:5432/ciess"
    )


def test_a_slots_version_is_recorded_once_even_past_the_lock(ciess, database):
    """The decision numbers versions; the unique index holds the numbering against any other writer."""
    first = ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing").receipt
    ledger = ledger_of(ciess.home)
    row = ledger.get(first["submission_id"])
    twin = row.__class__(**{**row.__dict__, "submission_id": "S-TWIN", "sha256": "0" * 64})
    with pytest.raises(STORE_ERRORS), ledger.decision() as connection:
        ledger.insert(connection, twin)
    assert [r.submission_id for r in ledger.all()] == [first["submission_id"]]  # rolled back whole


def test_a_submission_and_its_events_land_in_the_lanes_backend(ciess, database):
    ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing")
    assert (ciess.home / "ledger.sqlite").exists() == (database is None)
    listed = ciess.run("audit", "--period", "2026-Q2", "--json")
    assert listed.exit_code == 0, listed.output
    assert "AR-ANSES" in listed.stdout


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_database_that_is_down_is_said_and_nothing_is_recorded(ciess, postgres_database, monkeypatch):
    monkeypatch.setenv("CIESS_DATABASE_URL", f"postgresql://ciess@127.0.0.1:{_closed_port()}/ciess")
    refused = ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing")
    assert refused.exit_code == 1 and refused.receipt is None
    assert "the ledger's database cannot be reached" in refused.output and "PostgreSQL is running" in refused.output
    assert not any((ciess.home / "archive").rglob("receipt.json"))


def test_an_empty_database_beside_an_archive_of_receipts_takes_nothing_in(ciess, postgres_database, monkeypatch):
    database = postgres_database
    ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing")
    import psycopg

    empty = database + "_empty"
    admin = database.rsplit("/", 1)[0] + "/ciess"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'create database "{empty.rsplit("/", 1)[1]}"')
    try:
        monkeypatch.setenv("CIESS_DATABASE_URL", empty)
        refused = ciess.submit(EXAMPLES["training"] / "valid.csv")
        assert refused.exit_code == 1 and "holds no ledger" in refused.output
        assert "no version is numbered twice" in refused.output
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'drop database "{empty.rsplit("/", 1)[1]}" with (force)')


def test_the_homes_database_file_names_its_database_for_every_process(ciess, postgres_database, monkeypatch):
    database = postgres_database
    monkeypatch.delenv("CIESS_DATABASE_URL")
    ciess.home.mkdir(parents=True)
    (ciess.home / DATABASE_FILE).write_text(database + "\n", encoding="utf-8")
    accepted = ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing").receipt
    assert accepted["status"] == "ACCEPTED" and not (ciess.home / "ledger.sqlite").exists()
    settings = Settings.from_env(ciess.home)
    assert settings.ledger.backend == "postgresql"
    assert ledger_of(ciess.home).get(accepted["submission_id"]).version == 1
    assert database not in json.dumps(accepted)


def test_only_a_decision_that_wrote_is_a_change_for_the_freshness_sensor(ciess):
    """The outbox's sensor looks for notices due every few seconds: a look that finds none must not
    hold the warehouse's refresh back as if changes were still landing."""
    ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing")
    ledger = ledger_of(ciess.home)
    changed = ledger.store.last_change("ledger")
    assert changed is not None
    time.sleep(0.05)
    with ledger.decision() as connection:
        connection.execute("select count(*) from outbox").fetchone()
    assert ledger.store.last_change("ledger") == changed
    time.sleep(0.05)
    with ledger.decision() as connection:
        connection.execute("insert into contacts values ('AR-ANSES', 'a@example.org', 'es', '', '2026-12-04')")
    assert ledger.store.last_change("ledger") > changed


def test_connections_the_server_dropped_are_replaced_not_said_as_errors(roster_accepted, postgres_database):
    """A restarted server, or a proxy's idle timeout, ends the pool's connections behind its back:
    the next submission gets a fresh connection and is taken in as usual."""
    import psycopg

    with psycopg.connect(postgres_database, autocommit=True) as admin:
        ended = admin.execute(  # waits up to 5 s for each to be gone, so the next look cannot race it
            "select pg_terminate_backend(pid, 5000) from pg_stat_activity"
            " where datname = current_database() and pid <> pg_backend_pid()"
        ).fetchall()
    assert ended and all(gone for (gone,) in ended), "the pool held no connection to end"
    second = roster_accepted.submit(EXAMPLES["training"] / "valid.csv")
    assert second.exit_code == 0, second.output
    assert second.receipt["status"] == "ACCEPTED"
    assert [row.version for row in ledger_of(roster_accepted.home).all()] == [1, 1]
