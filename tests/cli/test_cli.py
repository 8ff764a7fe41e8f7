"""`ciess submit` as the spec's command-line section says: options, languages, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, read_issues_csv


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--institution", "XX-NOPE", "--kind", "staffing", "--period", "2026-Q2"], "unknown institution"),
        (["--institution", "AR-ANSES", "--kind", "staffing", "--period", "2026-2"], "YYYY-Qn"),
        (["--institution", "AR-ANSES", "--kind", "payroll", "--period", "2026-Q2"], "payroll"),
        (["--institution", "AR-ANSES", "--kind", "staffing"], "--period"),
        (["--institution", "AR-ANSES", "--kind", "staffing", "--period", "2999-T1"], "2999-Q1 has not started yet"),
    ],
)
def test_usage_errors_exit_2_and_change_nothing(ciess, args, message):
    result = ciess.run("submit", EXAMPLES["staffing"] / "valid.csv", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (ciess.home / "ledger.sqlite").exists()


def test_missing_file_is_a_usage_error(ciess, tmp_path):
    result = ciess.run("submit", tmp_path / "nope.csv", "--institution", "AR-ANSES", "--kind", "staffing",
                       "--period", "2026-Q2")  # fmt: skip
    assert result.exit_code == 2 and "file not found" in result.output


@pytest.mark.parametrize(
    ("institution", "word"), [("BR-INSS", "ACEITO"), ("HT-ONA", "ACCEPTÉ"), ("US-SSA", "ACCEPTED")]
)
def test_receipt_language_defaults_to_the_country_language(ciess, institution, word):
    result = ciess.run("submit", EXAMPLES["staffing"] / "valid.csv", "--institution", institution, "--kind",
                       "staffing", "--period", "2026-Q2")  # fmt: skip
    assert result.exit_code == 0
    assert result.output.startswith(word)


def test_lang_option_overrides_and_human_output_names_row_and_column(roster_accepted):
    result = roster_accepted.run("submit", EXAMPLES["training"] / "invalid-DATE_ORDER.csv", "--institution",
                                 "AR-ANSES", "--kind", "training", "--period", "2026-Q2", "--lang", "en")  # fmt: skip
    assert result.exit_code == 1
    assert result.output.startswith("REJECTED")
    assert "DATE_ORDER  1" in result.output
    assert "[row 2, End date] error DATE_ORDER: End date 2026-05-15 is before the start date." in result.output
    assert "issues.csv" in result.output


def test_json_prints_the_receipt_alone_with_the_spec_fields():
    """Through the installed `ciess` program, as a script would call it."""
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        done = subprocess.run(
            [sys.executable, "-m", "pipelines.cli.main", "submit", str(EXAMPLES["staffing"] / "valid.csv"),
             "--institution", "CL-IPS", "--kind", "staffing", "--period", "2026-Q2", "--json"],
            capture_output=True, text=True, check=False, env={"CIESS_HOME": home, "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    receipt = json.loads(done.stdout)
    assert list(receipt) == [
        "submission_id", "institution", "kind", "period", "status", "received_at", "sha256", "version",
        "supersedes", "late", "rows", "errors", "warnings", "rule_counts", "diff", "issues",
    ]  # fmt: skip
    assert receipt["diff"] is None  # a first version (spec feedback.md, "Resubmission diff")


def test_receipt_lists_at_most_100_issues_per_rule_but_counts_all(roster_accepted, tmp_path):
    header = "staff_id,sex,birth_year,hire_date,occupational_group,employment_type,fte"
    rows = [f"T{n:04d},Q,1980,2010-01-01,ADMINISTRATION,PERMANENT,1" for n in range(250)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = roster_accepted.submit(path, kind="staffing", period="2026-Q3")
    assert result.receipt["rule_counts"] == {"CODE_UNKNOWN": 250}
    assert len(result.receipt["issues"]) == 100
    issues_csv = next((roster_accepted.home / "archive").rglob(f"{result.receipt['submission_id']}/issues.csv"))
    listed = read_issues_csv(issues_csv, "es")  # AR-ANSES reads Spanish: `;`, Spanish headers and labels
    assert len(listed) == 250 and [int(row["row"]) for row in listed] == list(range(2, 252))  # in row order
    same = ("rule", "row", "value", "message")
    assert [{name: row[name] for name in same} for row in listed[:100]] == [
        {name: str(issue[name]) for name in same} for issue in result.receipt["issues"]
    ]
    assert {(row["severity"], row["column"]) for row in listed} == {("error", "Sexo")}
    assert listed[7]["message"].startswith('"Q"')  # each worded with its own value


def test_help_explains_the_command(ciess):
    result = ciess.run("submit", "--help")
    assert result.exit_code == 0
    for words in ("--institution", "--kind", "--period", "--lang", "--json", "Exit status"):
        assert words in result.output


def test_a_failed_build_says_dbts_own_reason_in_one_line():
    """What dagster-dbt reports when a model fails (as captured from a home built before a schema
    change): the summary line is dbt's reason, with what to do, not the last line of the stack."""
    from pipelines.cli.build import failure_reason

    message = (
        "dagster_dbt.errors.DagsterDbtCliRuntimeError: The dbt CLI process with command\n\n`dbt build`\n\n"
        "failed with exit code `1`.\n\nErrors parsed from dbt logs:\n\n"
        "66 of 138 ERROR creating sql incremental model marts.training_activity_mix ..... [\x1b[31mERROR\x1b[0m]\n\n"
        "\x1b[31mFailure in model training_activity_mix (models/marts/training_activity_mix.sql)\x1b[0m\n\n"
        "  Compilation Error in model training_activity_mix (models/marts/training_activity_mix.sql)\n"
        '  "build"."marts"."training_activity_mix" was built before it recorded country_iso2, subregion_code: '
        "rebuild it once with `ciess build --full-refresh` (or dbt build --full-refresh)\n  \n"
        "  > in macro _require_recorded_sources (macros/incremental_slots.sql)\n"
        "  > called by model training_activity_mix (models/marts/training_activity_mix.sql)\n"
    )
    reason = failure_reason(message)
    assert reason.startswith("Compilation Error in model training_activity_mix")
    assert "rebuild it once with `ciess build --full-refresh`" in reason
    assert failure_reason("boom\n  > called by something") == "boom"  # no dbt error: the last line that says something
