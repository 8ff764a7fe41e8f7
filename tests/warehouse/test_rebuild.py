"""The archive is the source of truth: with the lake and the warehouse deleted, `ciess rebuild`
makes them again from the archived originals (and the ledger, and the key), and the marts are the
same, row for row."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.conftest import copy_home, ledger_of

pytestmark = pytest.mark.warehouse


def _marts(home) -> dict[str, list[tuple]]:
    with duckdb.connect(str(home / "warehouse" / "published.duckdb"), read_only=True) as connection:
        listed = "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        names = [row[0] for row in connection.execute(listed).fetchall()]
        return {name: connection.execute(f"select * from marts.{name} order by all").fetchall() for name in names}


def test_the_lake_and_the_warehouse_come_back_from_the_archive(sample, tmp_path):
    ciess = copy_home(sample.home, tmp_path)
    before = _marts(ciess.home)
    accepted = [row for row in ledger_of(ciess.home).all() if row.lake_path]
    shutil.rmtree(ciess.home / "lake")
    shutil.rmtree(ciess.home / "warehouse")

    result = ciess.run("rebuild")
    assert result.exit_code == 0, result.output
    assert f"{len(accepted)} files rebuilt from the archive, 0 already in place" in result.output
    assert all((ciess.home / row.lake_path).exists() for row in accepted)
    after = _marts(ciess.home)
    assert after.keys() == before.keys() and len(before) > 10
    for name, rows in before.items():
        assert after[name] == rows, name

    again = ciess.run("rebuild")  # nothing missing: nothing rewritten
    assert (
        again.exit_code == 0 and f"0 files rebuilt from the archive, {len(accepted)} already in place" in again.output
    )


def test_a_rebuild_needs_the_key_and_an_archive_that_is_the_file_received(sample, tmp_path):
    ciess = copy_home(sample.home, tmp_path)
    accepted = [row for row in ledger_of(ciess.home).all() if row.lake_path]
    shutil.rmtree(ciess.home / "lake")
    key = ciess.home / "secrets" / "pseudonym.key"
    saved = key.read_bytes()
    key.unlink()
    without = ciess.run("rebuild")
    assert without.exit_code == 1 and "pseudonymisation key" in without.output
    assert not (ciess.home / "lake").exists() or not list((ciess.home / "lake").rglob("rows.parquet"))

    key.write_bytes(saved)
    damaged = ciess.home / accepted[0].archive_path
    damaged.chmod(0o600)
    damaged.write_bytes(damaged.read_bytes() + b"\n")
    partial = ciess.run("rebuild")
    assert partial.exit_code == 1
    assert f"not rebuilt: {accepted[0].lake_path}: its archived original" in partial.output
    assert "sha256 differs" in partial.output
    assert not (ciess.home / accepted[0].lake_path).exists()
    assert all((ciess.home / row.lake_path).exists() for row in accepted[1:])
    assert "The warehouse was not built" in partial.output  # not one that leaves a version out
