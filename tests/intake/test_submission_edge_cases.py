"""Inputs that once crashed the intake, slipped past it or changed data silently."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from pipelines.common.periods import Period
from pipelines.common.settings import Settings
from pipelines.intake.submission import submit
from tests.conftest import EXAMPLES


def _training_rows() -> tuple[list[str], list[list[str]]]:
    with open(EXAMPLES["training"] / "valid.csv", encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    return records[0], records[1:]


def _write(path, header, rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_damaged_xlsx_is_refused_with_a_receipt(ciess, tmp_path):
    import openpyxl

    good = tmp_path / "good.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["staff_id", "sex"])
    workbook.active.append(["E1", "F"])
    workbook.save(good)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    result = ciess.submit(damaged, kind="staffing")
    assert (result.exit_code, result.receipt["rule_counts"]) == (1, {"FILE_FORMAT": 1})


def test_cells_right_of_the_header_are_an_unknown_column(roster_accepted, tmp_path):
    header, rows = _training_rows()
    rows[0] = [*rows[0][:-1], "1250", "75"]  # "1250,75" in a comma-delimited file
    result = roster_accepted.submit(_write(tmp_path / "t.csv", header, rows))
    assert result.receipt["status"] == "ACCEPTED_WITH_WARNINGS"
    assert result.receipt["rule_counts"] == {"COLUMN_UNKNOWN": 1}
    assert "#15" in result.receipt["issues"][0]["message"]


@pytest.mark.parametrize(
    "header",
    ["Social Security Number", "Número de Seguro Social", "Número de documento", "Identification number", "C.I.",
     "Whatsapp", "Nombre completo", "e-mail", "CPF"],
)  # fmt: skip
def test_identifier_columns_are_refused(roster_accepted, tmp_path, header):
    columns, rows = _training_rows()
    result = roster_accepted.submit(_write(tmp_path / "t.csv", [*columns, header], [[*row, "x"] for row in rows]))
    assert (result.exit_code, result.receipt["rule_counts"]) == (1, {"PII_COLUMN": 1})


@pytest.mark.parametrize("header", ["Nombre del curso", "Provider name", "Nom de l'activité", "Observaciones"])
def test_harmless_extra_columns_are_only_a_warning(roster_accepted, tmp_path, header):
    columns, rows = _training_rows()
    result = roster_accepted.submit(_write(tmp_path / "t.csv", [*columns, header], [[*row, "x"] for row in rows]))
    assert result.receipt["rule_counts"] == {"COLUMN_UNKNOWN": 1}


def test_a_column_of_email_addresses_is_refused_whatever_its_header(roster_accepted, tmp_path):
    columns, rows = _training_rows()
    rows = [[*row, f"person{n}@example.org"] for n, row in enumerate(rows)]
    result = roster_accepted.submit(_write(tmp_path / "t.csv", [*columns, "Contacto"], rows))
    assert result.receipt["rule_counts"] == {"PII_COLUMN": 1}


@pytest.mark.parametrize("period", ["٢٠٢٦-Q2", "0000-Q1", "9999-Q4", "2026-Q5", "2026Q2"])
def test_periods_that_are_not_yyyy_qn_are_usage_errors(ciess, period):
    result = ciess.run("submit", EXAMPLES["staffing"] / "valid.csv", "--institution", "AR-ANSES", "--kind",
                       "staffing", "--period", period)  # fmt: skip
    assert result.exit_code == 2 and "YYYY-Qn" in result.output


def test_period_with_spaces_is_stored_once_as_written_by_the_spec(ciess):
    first = ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing", period=" 2026-Q2 ")
    again = ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing", period="2026-Q2")
    assert first.receipt["period"] == "2026-Q2" and again.receipt["status"] == "DUPLICATE"


def test_late_flag_follows_the_deadline(tmp_path):
    settings = Settings.from_env(tmp_path / "home", deadline_days=45)
    deadline = Period(2026, 2).deadline(45)  # 2026-08-14
    on_time = datetime(deadline.year, deadline.month, deadline.day, 23, 59, tzinfo=UTC)
    first = submit(EXAMPLES["staffing"] / "valid.csv", "AR-ANSES", "staffing", "2026-Q2", settings, received_at=on_time)
    late = submit(EXAMPLES["staffing"] / "valid.csv", "BR-INSS", "staffing", "2026-Q2", settings,
                  received_at=on_time + timedelta(minutes=1))  # fmt: skip
    assert (first.receipt["late"], late.receipt["late"]) == (False, True)


def test_key_duplicate_names_the_first_row_with_that_key(roster_accepted):
    result = roster_accepted.submit(EXAMPLES["training"] / "invalid-KEY_DUPLICATE.csv")
    (issue,) = result.receipt["issues"]
    assert issue["row"] == 8 and issue["message"].startswith(
        "Esta fila repite la clave (E0001 / PEN-101 / 2026-04-06) de la fila 2."
    )


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [("sí", True), ("SIM", True), ("Oui", True), ("Y", True), ("S", True), ("1", True), ("true", True),
     ("no", False), ("Não", False), ("non", False), ("N", False), ("0", False), ("FALSE", False)],
)  # fmt: skip
def test_every_boolean_spelling_of_the_spec(roster_accepted, tmp_path, spelling, expected):
    header, rows = _training_rows()
    rows[0][header.index("certified")] = spelling  # row 1 is COMPLETED, so true is allowed
    result = roster_accepted.submit(_write(tmp_path / "t.csv", header, rows))
    assert result.receipt["status"] == "ACCEPTED"
    (path,) = (roster_accepted.home / "lake" / "training").rglob("*.parquet")
    assert bool(pd.read_parquet(path).sort_values("source_row")["certified"].iloc[0]) is expected


@pytest.mark.parametrize(("birth_year", "warned"), [(1951, False), (1950, True)])
def test_age_over_75_at_period_end_is_a_warning(ciess, tmp_path, birth_year, warned):
    path = tmp_path / "roster.csv"
    path.write_text(
        "staff_id,sex,birth_year,hire_date,occupational_group,employment_type,fte\n"
        f"E1,F,{birth_year},2010-01-01,IT,PERMANENT,1\n",
        encoding="utf-8",
    )
    result = ciess.submit(path, kind="staffing")
    assert result.receipt["rule_counts"] == ({"AGE_UNUSUAL": 1} if warned else {})


@pytest.mark.parametrize("fails_after", [0, 1])
def test_the_archive_keeps_every_byte_where_the_kernel_copy_fails(tmp_path, monkeypatch, fails_after):
    """The archive copies in the kernel; where that is refused (at once, or after a first part),
    the copy is made again through Python, and the sha256 names the bytes kept."""
    import hashlib
    import os

    from pipelines.intake.storing import archive

    source = tmp_path / "big.csv"
    source.write_bytes(os.urandom(3 * archive.CHUNK + 123))
    kernel_copy, calls = os.copy_file_range, []

    def refusing(*args):
        calls.append(args)
        if len(calls) > fails_after:
            raise OSError(18, "Invalid cross-device link")
        return kernel_copy(*args)

    monkeypatch.setattr(archive.os, "copy_file_range", refusing)
    kept = archive.archive_file(source, tmp_path / "archive")
    assert kept.path.read_bytes() == source.read_bytes() and kept.size == source.stat().st_size
    assert kept.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
