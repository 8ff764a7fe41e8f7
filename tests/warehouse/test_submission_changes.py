"""The mart submission_changes: one row per accepted version with what it changed against the version
before it (the receipts' diff), counts only; a first version has NULL counts."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLES
from tests.warehouse.test_warehouse import _query, built  # noqa: F401 (built: a fixture)


@pytest.mark.warehouse
def test_submission_changes_holds_each_versions_counts(built, tmp_path):  # noqa: F811
    lines = (EXAMPLES["training"] / "valid.csv").read_text(encoding="utf-8").splitlines()
    header, first, *rest = lines
    edited = [header, *rest, first.replace(",40,", ",41,", 1)]  # hours changed, rows reordered
    second = tmp_path / "training-v2.csv"
    second.write_text("\n".join(edited) + "\n", encoding="utf-8")
    receipt = built.submit(second).receipt
    assert receipt["diff"]["changed_by_column"] == {"hours": 1}
    assert built.run("build").exit_code == 0

    rows = _query(built, "select * from submission_changes order by kind, version")
    assert [(row["kind"], row["version"], row["previous_version"]) for row in rows] == [
        ("staffing", 1, None), ("training", 1, None), ("training", 2, 1)]  # fmt: skip
    first_version, changed = rows[1], rows[2]
    assert first_version["added"] is None and first_version["changed_by_column"] is None
    assert changed["submission_id"] == receipt["submission_id"]
    assert {name: changed[name] for name in ("added", "removed", "changed", "unchanged")} == {
        name: receipt["diff"][name] for name in ("added", "removed", "changed", "unchanged")}  # fmt: skip
    assert json.loads(changed["changed_by_column"]) == {"hours": 1}
    # counts only: no identifier of staff in the mart
    assert not {"staff_id", "staff_key"} & set(changed)
