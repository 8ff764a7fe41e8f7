"""The resubmission diff, on real files through the real intake: its counts and diff.csv agree with a
plain comparison of the two CSV files as written (a dict per file, keyed by the kind's key), for
random files and random edits (rows added, removed, cells changed, rows reordered), both kinds."""

from __future__ import annotations

import csv
import io
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.common.settings import Settings
from pipelines.common.spreadsheet_safe import csv_separator
from pipelines.contract.model import load_contract
from pipelines.intake.checking import version_diff
from pipelines.intake.diff_file import diff_csv_headers
from pipelines.intake.receipts import RECEIPT_TEXTS
from pipelines.intake.storing.ledger import Ledger
from pipelines.intake.storing.staff_ids import STAFF_IDS_FILE
from pipelines.intake.submission import preview, submit
from tests.conftest import EXAMPLES, PERIOD

INSTITUTION = "AR-ANSES"  # its language is Spanish: diff.csv is written with `;` and Spanish words
KEY = {"staffing": ("staff_id",), "training": ("staff_id", "activity_code", "start_date")}
# values each column may be changed to, every one valid beside the rest of any template row and
# each spelled one way only (so that a change of text is a change of value, and none other is)
CHANGES = {
    "staffing": {
        "sex": ["F", "M", "X"],
        "birth_year": ["1970", "1985", "1992"],
        "occupational_group": ["ADMINISTRATION", "IT", "LEGAL"],
        "employment_type": ["PERMANENT", "TEMPORARY", "CONTRACTOR"],
    },
    "training": {
        "activity_title": ["Gestión de riesgos", "Financement", "Customer service; level 2"],
        "provider": ["CIESS", "OISS", "ISSA", "IN_HOUSE"],
        "modality": ["VIRTUAL", "IN_PERSON", "BLENDED"],
        "hours": ["8", "12.5", "40"],
        "cost_local": ["", "100", "250.5"],
    },
}


def _templates(kind: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(EXAMPLES[kind] / "valid.csv", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _read(path: Path, kind: str) -> dict[tuple, tuple[int, dict[str, str]]]:
    """key -> (row number as a spreadsheet shows it, the row's cells): the independent comparison."""
    with open(path, encoding="utf-8", newline="") as handle:
        return {tuple(row[name] for name in KEY[kind]): (number, row)
                for number, row in enumerate(csv.DictReader(handle), start=2)}  # fmt: skip


def expected_diff(before: Path, after: Path, kind: str) -> tuple[dict, set[tuple]]:
    """The counts and the lines of diff.csv, found by comparing the two files cell by cell."""
    old, new = _read(before, kind), _read(after, kind)
    compared = [name for name in _templates(kind)[0] if name not in KEY[kind]]
    lines, by_column, changed = set(), {}, 0
    for key in new.keys() - old.keys():
        lines.add(("added", new[key][0], None, key, None, None, None))
    for key in old.keys() - new.keys():
        lines.add(("removed", None, old[key][0], key, None, None, None))
    for key in new.keys() & old.keys():
        (row, after_cells), (previous_row, before_cells) = new[key], old[key]
        differing = [name for name in compared if before_cells[name] != after_cells[name]]
        changed += bool(differing)
        for name in differing:
            by_column[name] = by_column.get(name, 0) + 1
            old_value, new_value = _number(before_cells[name]), _number(after_cells[name])
            lines.add(("changed", row, previous_row, key, name, old_value, new_value))
    counts = {"added": len(new.keys() - old.keys()), "removed": len(old.keys() - new.keys()), "changed": changed,
              "unchanged": len(new.keys() & old.keys()) - changed, "changed_by_column": by_column}  # fmt: skip
    return counts, lines


def _number(text: str | None) -> str | float | None:
    """A cell as a value: numbers compared as numbers (the diff compares typed values), empty as None."""
    if text in (None, ""):
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def diff_csv_lines(path: Path, kind: str, lang: str) -> set[tuple]:
    """diff.csv as the reader's spreadsheet reads it, each line as `expected_diff` gives it."""
    contract = load_contract(kind)
    words = {RECEIPT_TEXTS.say(f"diff_change.{change}", lang): change for change in ("added", "removed", "changed")}
    labels = {column.label(lang): column.name for column in contract.columns}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        records = csv.reader(handle, delimiter=csv_separator(lang))
        assert next(records) == diff_csv_headers(contract, lang)
        lines = set()
        for change, row, previous_row, *rest in records:
            key, (column, old, new) = tuple(rest[: len(KEY[kind])]), rest[len(KEY[kind]) :]
            key = tuple(value.removeprefix("'") for value in key)  # a cell made inert for spreadsheets
            lines.add((words[change], int(row) if row else None, int(previous_row) if previous_row else None, key,
                       labels.get(column), _number(old.removeprefix("'")), _number(new.removeprefix("'"))))  # fmt: skip
        return lines


def random_rows(kind: str, rng: random.Random, count: int, first: int) -> list[dict[str, str]]:
    _, templates = _templates(kind)
    rows = []
    for number in range(first, first + count):
        row = dict(rng.choice(templates))
        row["staff_id"] = f"E{number:05d}"
        for name, values in CHANGES[kind].items():
            if rng.random() < 0.5:
                row[name] = rng.choice(values)
        rows.append(row)
    return rows


def edited(kind: str, rows: list[dict[str, str]], rng: random.Random, edits: int) -> list[dict[str, str]]:
    """`rows` with `edits` random edits (a row added or removed, a cell changed), then reordered."""
    rows = [dict(row) for row in rows]
    next_id = 90_000
    for _ in range(edits):
        edit = rng.choice(["add", "remove", "change", "change"])
        if edit == "add" or len(rows) <= 1:
            rows.insert(rng.randrange(len(rows) + 1), random_rows(kind, rng, 1, next_id)[0])
            next_id += 1
        elif edit == "remove":
            rows.pop(rng.randrange(len(rows)))
        else:
            row = rng.choice(rows)
            name = rng.choice(list(CHANGES[kind]))
            row[name] = rng.choice(CHANGES[kind][name])
    if rng.random() < 0.5:
        rng.shuffle(rows)
    return rows


def _submit_both(home: Path, kind: str, before: Path, after: Path, from_lake: bool = False):
    """Version 1, then version 2; `from_lake`: version 1's row hashes are gone, its lake file is read."""
    settings_ = Settings.from_env(home)
    first = submit(before, INSTITUTION, kind, PERIOD, settings_)
    assert first.status.startswith("ACCEPTED"), first.receipt["rule_counts"]
    assert first.receipt["diff"] is None  # a first version has nothing to be compared with
    (kept,) = first.receipt_path.parent.glob("row_hashes-*.arrows")
    if from_lake:
        kept.unlink()
    second = submit(after, INSTITUTION, kind, PERIOD, settings_)
    return settings_, first, second


def _check(tmp_path: Path, kind: str, seed: int, rows: int, edits: int, from_lake: bool = False) -> None:
    rng = random.Random(seed)
    header, _ = _templates(kind)
    original = random_rows(kind, rng, rows, 1)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis runs many examples in one tmp_path
    home = folder / "home"
    before = _write(folder / "before.csv", header, original)
    after = _write(folder / "after.csv", header, edited(kind, original, rng, edits))
    counts, lines = expected_diff(before, after, kind)
    settings_, _, second = _submit_both(home, kind, before, after, from_lake)
    if before.read_bytes() == after.read_bytes():
        assert second.status == "DUPLICATE" and second.receipt["diff"] is None
        return
    assert second.status.startswith("ACCEPTED"), second.receipt["rule_counts"]
    assert second.receipt["diff"] == {"previous_version": 1, **counts}
    assert diff_csv_lines(second.diff_path, kind, "es") == lines
    assert Ledger.of(settings_).diff_of(second.receipt["submission_id"])["added"] == counts["added"]


# a version of many buckets (compared at the end, bucket by bucket), or of one (batch by batch)
MANY_BUCKETS = 7  # rows a bucket


@pytest.mark.parametrize("rows_per_bucket", [version_diff.ROWS_PER_BUCKET, MANY_BUCKETS], ids=["one", "many"])
@pytest.mark.parametrize("from_lake", [False, True], ids=["kept-row-hashes", "lake-file"])
@pytest.mark.parametrize("kind", ["staffing", "training"])
def test_diff_agrees_with_a_plain_comparison(tmp_path, monkeypatch, kind, from_lake, rows_per_bucket):
    monkeypatch.setattr(version_diff, "ROWS_PER_BUCKET", rows_per_bucket)
    _check(tmp_path, kind, seed=11, rows=40, edits=12, from_lake=from_lake)


@pytest.mark.long
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["staffing", "training"]), seed=st.integers(0, 10_000), rows=st.integers(1, 60),
       edits=st.integers(0, 25), from_lake=st.booleans(),
       rows_per_bucket=st.sampled_from([version_diff.ROWS_PER_BUCKET, MANY_BUCKETS]))  # fmt: skip
def test_diff_agrees_with_a_plain_comparison_for_random_files_and_edits(tmp_path, monkeypatch, kind, seed, rows, edits,
                                                                         from_lake, rows_per_bucket):  # fmt: skip
    monkeypatch.setattr(version_diff, "ROWS_PER_BUCKET", rows_per_bucket)
    _check(tmp_path, kind, seed, rows, edits, from_lake)


def test_a_removed_row_of_a_version_without_its_staff_ids_is_named_by_its_previous_row(tmp_path):
    header, templates = _templates("staffing")
    before = _write(tmp_path / "before.csv", header, templates)
    after = _write(tmp_path / "after.csv", header, templates[1:])
    settings_ = Settings.from_env(tmp_path / "home")
    first = submit(before, INSTITUTION, "staffing", PERIOD, settings_)
    (first.receipt_path.parent / STAFF_IDS_FILE).unlink()  # as a version accepted before the diff existed
    second = submit(after, INSTITUTION, "staffing", PERIOD, settings_, lang="en")
    with open(second.diff_path, encoding="utf-8-sig", newline="") as handle:
        (_, line) = list(csv.reader(handle))
    assert line[:3] == ["removed", "", "2"]
    assert line[3] == "(not kept for version 1: see its previous row)"


def test_preview_counts_what_submit_finds_and_records_nothing(tmp_path):
    header, templates = _templates("training")
    before = _write(tmp_path / "before.csv", header, templates)
    changed = [dict(row) for row in templates]
    changed[0]["hours"] = "41"
    after = _write(tmp_path / "after.csv", header, changed[1:] + changed[:1])
    settings_ = Settings.from_env(tmp_path / "home")
    submit(before, INSTITUTION, "training", PERIOD, settings_)
    files_before = sorted(p for p in settings_.home.rglob("*") if p.is_file() and ".scratch" not in p.parts)
    looked = preview(after, INSTITUTION, "training", PERIOD, settings_)
    files_after = sorted(p for p in settings_.home.rglob("*") if p.is_file() and ".scratch" not in p.parts)
    assert files_after == files_before
    assert not [p for p in (settings_.home / ".scratch").rglob("*") if p.is_file()]
    assert len(Ledger.of(settings_).all()) == 1
    taken = submit(after, INSTITUTION, "training", PERIOD, settings_)
    assert looked.diff == taken.receipt["diff"] == {
        "previous_version": 1, "added": 0, "removed": 0, "changed": 1, "unchanged": len(templates) - 1,
        "changed_by_column": {"hours": 1},
    }  # fmt: skip


def test_the_command_line_receipt_says_what_changed(ciess, tmp_path):
    header, templates = _templates("staffing")
    changed = [dict(row) for row in templates]
    changed[0]["occupational_group"] = "LEGAL"
    after = _write(tmp_path / "after.csv", header, changed[:-1])
    assert ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing").exit_code == 0
    args = ["--institution", INSTITUTION, "--kind", "staffing", "--period", PERIOD, "--lang", "fr"]
    printed = ciess.run("submit", after, *args)
    assert printed.exit_code == 0, printed.output
    lines = printed.stdout.splitlines()
    assert "Comparé à la version 1 :" in lines
    assert f"  0 ligne(s) ajoutée(s), 1 supprimée(s), 1 modifiée(s), {len(templates) - 2} inchangée(s)" in lines
    assert "    Groupe professionnel: 1" in lines  # the column by its label in the receipt's language
    assert any(line.strip().startswith("Toutes les modifications :") and line.endswith("diff.csv") for line in lines)
