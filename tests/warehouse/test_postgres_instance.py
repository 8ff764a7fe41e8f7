"""Dagster's instance on the home's PostgreSQL: `ciess build` records its run in the database
(dagster-postgres), the instance's file names the variable and never the address, and a second
build with nothing new is the no-op one."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import EXAMPLES


@pytest.mark.warehouse
@pytest.mark.postgres
def test_a_build_on_postgresql_keeps_dagsters_runs_in_the_same_database(ciess, postgres_database):
    database = postgres_database
    for kind in ("staffing", "training"):
        assert ciess.submit(EXAMPLES[kind] / "valid.csv", kind=kind).receipt["status"] == "ACCEPTED"
    built = ciess.run("build")
    assert built.exit_code == 0, built.output
    assert "Published:" in built.stdout

    written = (ciess.home / "dagster" / "dagster.yaml").read_text(encoding="utf-8")
    assert "postgres_url:\n      env: CIESS_DATABASE_URL" in written and database not in written
    with psycopg.connect(database) as connection:
        statuses = [row[0] for row in connection.execute("select status from runs")]
    assert statuses == ["SUCCESS"]
    assert not list((ciess.home / "dagster").rglob("*.db"))  # no SQLite storage of Dagster's (logs stay files)

    again = ciess.run("build")
    assert again.exit_code == 0 and "nothing new since the last publish" in again.output.lower()
