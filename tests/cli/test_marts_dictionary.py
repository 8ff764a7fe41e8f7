"""`ciess tables` and `ciess describe`: what an analyst reads before writing SQL (from dbt's docs)."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from pipelines.cli.main import cli

SPEC_MEASURES = (  # ../shared/spec/submissions.md, "Marts analysts rely on"
    "headcount", "fte", "participants", "staff_trained", "training_coverage", "completed_hours", "hours_per_employee",
    "closed_enrolments", "completions", "completion_rate", "certifications", "certification_rate", "mean_score_gain",
    "female_coverage", "male_coverage", "gender_parity_index", "ciess_hours_share",
)  # fmt: skip


def ciess(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_tables_lists_every_mart_with_its_grain_and_meaning():
    result = ciess("tables", "--format", "json")
    assert result.exit_code == 0
    marts = {row["mart"]: row for row in json.loads(result.stdout)}
    assert {"capacity_by_institution", "capacity_by_country", "capacity_by_subregion", "capacity_americas",
            "submission_compliance"} <= set(marts)  # fmt: skip
    assert marts["capacity_by_subregion"]["grain"] == "subregion x period"
    assert all(row["grain"] and row["meaning"] for row in marts.values())
    table = ciess("tables").stdout
    assert "capacity_by_country" in table and f"({len(marts)} rows)" in table


def test_describe_gives_type_unit_and_description_of_every_column():
    result = ciess("describe", "capacity_by_subregion", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    columns = {row["column"]: row for row in rows}
    assert set(SPEC_MEASURES) <= set(columns)
    assert all(row["type"] and row["unit"] and row["description"] for row in rows)
    assert columns["training_coverage"]["unit"] == "ratio"
    assert columns["hours_per_employee"]["unit"] == "hours"
    assert columns["headcount"]["unit"] == "count"
    assert "current roster or training file" in columns["institutions_reporting"]["description"]  # its definition
    table = ciess("describe", "capacity_by_subregion").stdout
    assert "One row per subregion x period (key: subregion_code, period)" in table


def test_describe_an_unknown_mart_lists_the_marts():
    result = ciess("describe", "capacity_by_planet")
    assert result.exit_code == 2
    assert "capacity_by_subregion" in result.stderr and "ciess tables" in result.stderr
