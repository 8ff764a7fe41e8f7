"""Incremental builds: after new and superseding submissions, `ciess build` reads and computes only
the institution x period slots that changed, and publishes exactly what `ciess build --full-refresh`
gives. Which slots were reprocessed is read from the dbt invocation each row records, not timed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest

from pipelines.warehouse.catalog import published_marts
from tests.conftest import EXAMPLES, PERIOD, Ciess

pytestmark = pytest.mark.warehouse
ROW_MODELS = ("int_staffing__current", "int_training__current")


def _build(ciess: Ciess, *extra: str) -> None:
    result = ciess.run("build", *extra)
    assert result.exit_code == 0, result.output
    assert "Published:" in result.stdout


def _submit(ciess: Ciess, path: Path, institution: str, kind: str) -> dict:
    receipt = ciess.submit(path, institution, kind).receipt
    assert receipt["status"].startswith("ACCEPTED"), receipt
    return receipt


def _loaded_by(ciess: Ciess) -> dict[tuple[str, str], str]:
    """(model, institution) -> the dbt invocation that wrote its rows of the quarter (one per slot)."""
    found = {}
    with duckdb.connect(str(ciess.home / "warehouse" / "build.duckdb"), read_only=True) as connection:
        for model in (*ROW_MODELS, "int_capacity__institution_period"):
            rows = connection.execute(
                f"select institution_code, list(distinct dbt_invocation_id) from intermediate.{model} "
                "where period = ? group by institution_code",
                [PERIOD],
            ).fetchall()
            for institution, invocations in rows:
                assert len(invocations) == 1, (model, institution, invocations)
                found[(model, institution)] = invocations[0]
    return found


def _marts(ciess: Ciess) -> dict[str, list[tuple]]:
    with duckdb.connect(str(ciess.home / "warehouse" / "published.duckdb"), read_only=True) as connection:
        return {name: sorted(connection.execute(f"select * from marts.{name}").fetchall(), key=repr)
                for name in published_marts()}  # fmt: skip


def _same(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-12, abs_tol=1e-9)
    return left == right


def _assert_same_marts(incremental: dict[str, list[tuple]], full: dict[str, list[tuple]]) -> None:
    for name in published_marts():
        assert len(incremental[name]) == len(full[name]), name
        for got, expected in zip(incremental[name], full[name], strict=True):
            assert len(got) == len(expected) and all(map(_same, got, expected)), (name, got, expected)


def test_incremental_build_reprocesses_only_changed_slots_and_equals_a_full_refresh(ciess, tmp_path):
    for institution in ("AR-ANSES", "BR-INSS"):
        _submit(ciess, EXAMPLES["staffing"] / "valid.csv", institution, "staffing")
        _submit(ciess, EXAMPLES["training"] / "valid.csv", institution, "training")
    _build(ciess)
    first = _loaded_by(ciess)
    (first_build,) = set(first.values())

    # A smaller roster supersedes AR-ANSES's version 1; CL-IPS sends its first roster; BR-INSS is untouched.
    roster = (EXAMPLES["staffing"] / "valid.csv").read_text(encoding="utf-8")
    smaller = tmp_path / "roster-v2.csv"
    smaller.write_text("\n".join(roster.splitlines()[:-1]) + "\n", encoding="utf-8")
    assert _submit(ciess, smaller, "AR-ANSES", "staffing")["version"] == 2
    _submit(ciess, EXAMPLES["staffing"] / "valid.csv", "CL-IPS", "staffing")
    _build(ciess)
    second = _loaded_by(ciess)
    (second_build,) = set(second.values()) - {first_build}

    untouched = {key: first_build for key in first if key[1] == "BR-INSS"}
    untouched[("int_training__current", "AR-ANSES")] = first_build  # its training file did not change
    assert {key: second[key] for key in untouched} == untouched
    assert second[("int_staffing__current", "AR-ANSES")] == second_build
    assert second[("int_staffing__current", "CL-IPS")] == second_build
    assert second[("int_capacity__institution_period", "AR-ANSES")] == second_build  # its roster changed
    assert second[("int_capacity__institution_period", "CL-IPS")] == second_build
    with duckdb.connect(str(ciess.home / "warehouse" / "build.duckdb"), read_only=True) as connection:
        versions = connection.execute(
            "select version, count(*) from intermediate.int_staffing__current "
            "where institution_code = 'AR-ANSES' group by version"
        ).fetchall()
    assert versions == [(2, 5)]  # version 1's rows are gone, version 2's are all there

    # Nothing new: nothing is read or computed again, and the data dictionary (same dbt project) is kept.
    page = ciess.home / "docs" / "data-dictionary.html"
    made = page.stat().st_mtime_ns
    _build(ciess, "--force")  # past the shortcut of a build with nothing new: dbt itself finds nothing to do
    assert _loaded_by(ciess) == second
    assert page.stat().st_mtime_ns == made
    incremental = _marts(ciess)

    _build(ciess, "--full-refresh")
    assert set(_loaded_by(ciess).values()).isdisjoint({first_build, second_build})  # everything rebuilt
    _assert_same_marts(incremental, _marts(ciess))
    result = ciess.run("query", "select institution_code, headcount from capacity_by_institution "
                       "where headcount is not null order by 1", "--format", "json")  # fmt: skip
    assert json.loads(result.stdout) == [
        {"institution_code": "AR-ANSES", "headcount": 5},  # version 2 only
        {"institution_code": "BR-INSS", "headcount": 6},
        {"institution_code": "CL-IPS", "headcount": 6},
    ]
