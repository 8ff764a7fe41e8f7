"""Every example file of every contract, through `ciess submit`: status, rule_counts, exit code."""

from __future__ import annotations

import polars as pl
import pytest

from tests.conftest import EXAMPLES

# How many times each example shows its rule (the files are small enough to count by eye).
EXPECTED_COUNTS = {
    ("staffing", "invalid-CODE_UNKNOWN.csv"): 2,
    ("staffing", "invalid-VALUE_RANGE.csv"): 2,
    ("staffing", "invalid-VALUE_TYPE.csv"): 2,
    ("training", "invalid-VALUE_RANGE.csv"): 2,
}


def _examples(prefix: str):
    return [
        pytest.param(kind, path, id=f"{kind}/{path.name}")
        for kind, folder in EXAMPLES.items()
        for path in sorted(folder.iterdir())
        if path.name.startswith(prefix)
    ]


@pytest.mark.parametrize(("kind", "path"), _examples("invalid-"))
def test_invalid_example_is_rejected_with_its_rule(roster_accepted, kind, path):
    rule = path.stem.removeprefix("invalid-")
    result = roster_accepted.submit(path, kind=kind)
    assert result.exit_code == 1
    assert result.receipt["status"] == "REJECTED"
    assert result.receipt["rule_counts"] == {rule: EXPECTED_COUNTS.get((kind, path.name), 1)}
    assert result.receipt["version"] is None


@pytest.mark.parametrize(("kind", "path"), _examples("warning-"))
def test_warning_example_is_accepted_with_its_warning(roster_accepted, kind, path):
    rule = path.stem.removeprefix("warning-")
    result = roster_accepted.submit(path, kind=kind)
    assert result.exit_code == 0
    assert result.receipt["status"] == "ACCEPTED_WITH_WARNINGS"
    assert result.receipt["rule_counts"] == {rule: 1}
    assert result.receipt["errors"] == 0 and result.receipt["warnings"] == 1


@pytest.mark.parametrize("kind", ["staffing", "training"])
def test_valid_example_is_accepted(roster_accepted, kind):
    result = roster_accepted.submit(EXAMPLES[kind] / "valid.csv", kind=kind)
    assert result.exit_code == 0
    expected = "DUPLICATE" if kind == "staffing" else "ACCEPTED"  # the fixture already sent the roster
    assert result.receipt["status"] == expected
    assert result.receipt["rule_counts"] == {}
    assert result.receipt["rows"] == 6


def test_issue_names_row_column_value_and_message_in_the_institution_language(roster_accepted):
    result = roster_accepted.submit(EXAMPLES["training"] / "invalid-CODE_UNKNOWN.csv", institution="AR-ANSES")
    (issue,) = result.receipt["issues"]
    assert (issue["row"], issue["column"], issue["value"], issue["severity"]) == (2, "modality", "ONLINE", "error")
    assert "Modalidad" in issue["message"]
    assert "IN_PERSON (Presencial), VIRTUAL (Virtual), BLENDED (Semipresencial)" in issue["message"]  # and labels


def test_every_rule_code_of_the_spec_has_a_message_in_four_languages():
    from pipelines.contract.model import LANGUAGES, rule_catalog

    spec_codes = {
        "FILE_EMPTY", "FILE_FORMAT", "FILE_ENCODING", "FILE_TOO_LARGE", "COLUMN_MISSING", "COLUMN_DUPLICATE",
        "PII_COLUMN", "COLUMN_UNKNOWN", "VALUE_REQUIRED", "VALUE_TYPE", "CODE_UNKNOWN", "VALUE_RANGE",
        "DATE_ORDER", "DATE_OUT_OF_PERIOD", "KEY_DUPLICATE", "STATUS_CONFLICT", "HOURS_UNUSUAL", "AGE_UNUSUAL",
        "STAFF_NOT_IN_ROSTER", "HEADCOUNT_JUMP", "RETURN_APPROVED", "PERIOD_LOCKED",
    }  # fmt: skip
    catalog = rule_catalog()
    assert set(catalog.rules) == spec_codes
    for code in spec_codes:
        assert set(catalog.rules[code]["message"]) == set(LANGUAGES), code


@pytest.mark.parametrize("kind", ["staffing", "training"])
def test_codes_written_as_their_labels_load_as_the_codes(roster_accepted, kind):
    """valid-labels.csv is valid.csv with Spanish headers, `;` and decimal commas, and every code
    written as its label in one of the four languages, in any case, with or without accents: the lake
    holds the same rows as from valid.csv."""
    if kind == "training":
        assert roster_accepted.submit(EXAMPLES[kind] / "valid.csv", kind=kind).receipt["version"] == 1
    result = roster_accepted.submit(EXAMPLES[kind] / "valid-labels.csv", kind=kind)
    assert result.receipt["status"] == "ACCEPTED", result.receipt["issues"]
    partition = roster_accepted.home / "lake" / kind / "period=2026-Q2" / "institution=AR-ANSES"
    first, second = (pl.read_parquet(partition / f"version={n}" / "rows.parquet") for n in (1, 2))
    shown = [name for name in first.columns if name != "submission_id"]
    assert second.select(shown).equals(first.select(shown))


@pytest.mark.parametrize(
    ("lang", "said"), [("fr", "ni un XLSX (un ancien classeur Excel 97-2003 (.xls)"), ("pt", "nem XLSX (uma pasta")]
)
def test_a_file_format_refusal_says_what_the_file_is_in_the_readers_language(roster_accepted, lang, said):
    result = roster_accepted.submit(EXAMPLES["training"] / "invalid-FILE_FORMAT.xls", "AR-ANSES", "training",
                                    "2026-Q2", "--lang", lang)  # fmt: skip
    (issue,) = result.receipt["issues"]
    assert said in issue["message"] and "old Excel" not in issue["message"]


@pytest.mark.parametrize(
    ("sent", "as_kind", "words"),
    [
        ("training", "staffing", "parece un archivo de Actividades"),
        ("staffing", "training", "parece un archivo de Plantilla"),
    ],
)
def test_a_file_of_the_other_kind_gets_one_message_that_says_so(roster_accepted, sent, as_kind, words):
    result = roster_accepted.submit(EXAMPLES[sent] / "valid.csv", kind=as_kind, period="2026-Q3")
    assert result.receipt["status"] == "REJECTED" and result.receipt["rule_counts"] == {"COLUMN_MISSING": 1}
    (issue,) = result.receipt["issues"]
    assert words in issue["message"]


def test_a_file_whose_dates_all_fall_in_another_quarter_says_which(roster_accepted, tmp_path):
    """The training example's dates span 2026-Q1 to 2026-Q3: sent for another quarter, its rows are
    out of the period but no one quarter holds them all. Moved into 2026-Q1, they all fall there."""
    spanning = roster_accepted.submit(EXAMPLES["training"] / "valid.csv", period="2026-Q3")
    whole_file = [issue for issue in spanning.receipt["issues"] if issue["row"] is None]
    assert "DATE_OUT_OF_PERIOD" not in {issue["rule"] for issue in whole_file}
    text = (EXAMPLES["training"] / "valid.csv").read_text(encoding="utf-8")
    for month in ("04", "05", "06", "09"):
        text = text.replace(f"2026-{month}-", "2026-02-")
    earlier = tmp_path / "training-q1.csv"
    earlier.write_text(text.replace("2026-02-30", "2026-02-27"), encoding="utf-8")
    result = roster_accepted.submit(earlier, period="2026-Q2")
    summary = [issue for issue in result.receipt["issues"] if issue["row"] is None]
    assert [issue["rule"] for issue in summary] == ["DATE_OUT_OF_PERIOD"]
    assert "2026-Q1" in summary[0]["message"] and "2026-Q2" in summary[0]["message"]
    assert result.receipt["rule_counts"]["DATE_OUT_OF_PERIOD"] > 1  # the rows' own issues stay
