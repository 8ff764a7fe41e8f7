"""The lake: no clear staff identifier anywhere, and every file read back with the lake's schema."""

from __future__ import annotations

import csv

import pyarrow.parquet as pq

from pipelines.contract.model import load_contract
from pipelines.intake.storing.lake import lake_schema
from tests.conftest import EXAMPLES


def test_no_clear_staff_id_in_the_lake(roster_accepted):
    roster_accepted.submit(EXAMPLES["training"] / "valid.csv")
    clear = set()
    for kind in ("staffing", "training"):
        with open(EXAMPLES[kind] / "valid.csv", encoding="utf-8", newline="") as handle:
            clear |= {row["staff_id"] for row in csv.DictReader(handle)}
    files = list((roster_accepted.home / "lake").rglob("*.parquet"))
    assert len(files) == 2
    for path in files:
        raw = path.read_bytes()
        assert not any(staff_id.encode() in raw for staff_id in clear), path
        table = pq.read_table(path)
        assert "staff_id" not in table.column_names
        values = {str(v) for column in table.columns for v in column.to_pylist()}
        assert not values & clear
        keys = table.column("staff_key").to_pylist()
        assert all(len(key) == 64 for key in keys)


def test_the_same_staff_gets_the_same_key_in_roster_and_training(roster_accepted):
    roster_accepted.submit(EXAMPLES["training"] / "valid.csv")
    lake = roster_accepted.home / "lake"
    roster = set(pq.read_table(next((lake / "staffing").rglob("*.parquet"))).column("staff_key").to_pylist())
    training = set(pq.read_table(next((lake / "training").rglob("*.parquet"))).column("staff_key").to_pylist())
    assert training and training <= roster


def test_lake_files_are_read_back_with_the_lake_schema(roster_accepted):
    """Written with large strings and without a stored Arrow schema (cheaper to write), the files
    still read as the lake's schema says: plain strings, dates, numbers."""
    roster_accepted.submit(EXAMPLES["training"] / "valid.csv")
    for kind in ("staffing", "training"):
        (path,) = (roster_accepted.home / "lake" / kind).rglob("*.parquet")
        assert pq.read_schema(path).remove_metadata() == lake_schema(load_contract(kind))
