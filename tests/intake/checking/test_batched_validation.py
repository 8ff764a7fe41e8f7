"""The batched validator finds exactly what a whole-file validation finds, wherever the batches are
cut: duplicate keys in different batches, errors on the first and last row of a batch, blank
records and quoted line breaks that shift row numbers, and files that leave the fast reader
half-way (a ragged record, a Windows-1252 byte after the head)."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from pipelines.common.periods import Period
from pipelines.contract.model import load_contract
from pipelines.intake.checking import key_index, validation
from pipelines.intake.checking.validation import validate_file
from pipelines.intake.reading import csv_reading, errors, opening, polars_csv, python_csv

TRAINING = load_contract("training")
PERIOD = Period.parse("2026-Q2")
WHOLE_FILE = 10**9
HEADER = [column.name for column in TRAINING.columns]


def _row(n: int, **changes) -> dict[str, str]:
    start = date(2026, 4, 1) + timedelta(days=n % 20)
    row = {
        "staff_id": f"E{n:04d}",
        "activity_code": f"ACT-{n:03d}",
        "activity_title": "Valuación actuarial",
        "provider": "CIESS",
        "modality": "VIRTUAL",
        "thematic_area": "PENSIONS",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=10)).isoformat(),
        "hours": "12,5",
        "status": "COMPLETED",
        "pre_score": "40",
        "post_score": "80",
        "certified": "sí",
        "cost_local": "100",
    }
    row.update(changes)
    return row


def _rows() -> list[dict[str, str]]:
    """60 rows; with batches of 7 the boundaries fall after data rows 7, 14, 21..."""
    rows = [_row(n) for n in range(60)]
    rows[0] = _row(0, hours="abc")  # first row of the file and of every batch layout
    rows[6] = _row(6, modality="ONLINE")  # last row of a batch of 7
    rows[7] = _row(7, end_date="2026-03-01")  # first row of the next batch
    rows[50] = _row(3)  # the same key as row index 3, many batches later
    rows[14] = _row(13)  # the same key as the row before it, across a boundary of 7
    rows[40] = _row(39)
    rows[41] = _row(39, start_date=_day_month_year(_row(39)["start_date"]))  # the same typed key, written otherwise
    rows[20] = _row(20, activity_title="Línea uno\nLínea dos")  # one record over two lines
    rows[21] = _row(21, thematic_area=" pensions ", staff_id="")  # trimmed and upper-cased; staff missing
    rows[59] = _row(59, post_score="101")  # the file's last row
    return rows


def _day_month_year(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def _write_csv(path: Path, rows: list[dict], encoding="utf-8", delimiter=";", blank_after=(10, 30), extra=None):
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(HEADER)
        for index, row in enumerate(rows):
            cells = [row[name] for name in HEADER]
            if extra is not None and index == extra:
                cells.append("stray cell")
            writer.writerow(cells)
            if index in blank_after:
                handle.write("\r\n")
    return path


def _found(path: Path, batch_rows: int):
    result = validate_file(path, TRAINING, PERIOD, batch_rows=batch_rows)
    whole_file = sorted((i.rule, i.column, str(i.params)) for i in result.issues)
    return result.rows, whole_file, result.row_issues.sort("row", "column", "rule").rows()


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    return _write_csv(tmp_path_factory.mktemp("batches") / "training.csv", _rows())


def test_whole_file_validation_finds_every_planted_problem_at_its_row(plain):
    rows, whole_file, found = _found(plain, WHOLE_FILE)
    assert rows == 60 and whole_file == []

    # data row index i is on line i + 2, plus one per blank line before it (after indexes 10 and 30)
    def line(i):
        return i + 2 + (i > 10) + (i > 30)

    by_rule = {}
    for row, rule, column, value, first_row in found:
        by_rule.setdefault(rule, []).append((row, column, value, first_row))
    assert by_rule["VALUE_TYPE"] == [(line(0), "hours", "abc", None)]
    assert by_rule["CODE_UNKNOWN"] == [(line(6), "modality", "ONLINE", None)]
    assert (line(7), "end_date", "2026-03-01", None) in by_rule["DATE_OUT_OF_PERIOD"]
    assert by_rule["VALUE_RANGE"] == [(line(59), "post_score", "101", None)]
    assert by_rule["VALUE_REQUIRED"] == [(line(21), "staff_id", "", None)]
    duplicates = {(row, first) for row, _, _, first in by_rule["KEY_DUPLICATE"]}
    assert duplicates == {(line(50), line(3)), (line(14), line(13)), (line(41), line(39)), (line(40), line(39))}
    quoted = {row: value for row, _, value, _ in by_rule["KEY_DUPLICATE"]}  # the key's cells as sent
    as_sent = _row(39, start_date=_day_month_year(_row(39)["start_date"]))
    assert quoted[line(41)] == " / ".join(as_sent[name] for name in TRAINING.key)
    assert quoted[line(50)] == " / ".join(_row(3)[name] for name in TRAINING.key)


@pytest.mark.parametrize("batch_rows", [1, 2, 7, 13, 59])
def test_batches_find_the_same_issues_as_the_whole_file(plain, batch_rows):
    assert _found(plain, batch_rows) == _found(plain, WHOLE_FILE)


@pytest.mark.parametrize("batch_rows", [3, 7])
def test_windows_1252_files_read_by_arrow_find_the_same(tmp_path, plain, batch_rows):
    legacy = _write_csv(tmp_path / "legacy.csv", _rows(), encoding="cp1252")
    assert _found(legacy, batch_rows) == _found(plain, WHOLE_FILE)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])  # polars, then Arrow, hand over
@pytest.mark.parametrize("batch_rows", [4, 7, WHOLE_FILE])
def test_a_ragged_record_late_in_the_file_hands_over_to_python_with_the_same_rows(
    tmp_path, plain, batch_rows, encoding
):
    ragged = _write_csv(tmp_path / "ragged.csv", _rows(), extra=45, encoding=encoding)
    rows, whole_file, found = _found(ragged, batch_rows)
    assert whole_file == [("COLUMN_UNKNOWN", None, "{'header': '#15'}")]
    assert (rows, found) == (_found(plain, WHOLE_FILE)[0], _found(plain, WHOLE_FILE)[2])


def test_a_legacy_byte_after_the_head_is_read_again_in_its_encoding(tmp_path, monkeypatch, plain):
    monkeypatch.setattr(opening, "HEAD_BYTES", 200)  # the head is pure ASCII; "ó" comes later
    rows = _rows()
    for row in rows:
        row["activity_title"] = row["activity_title"].replace("Valuación", "Valuacion")
    rows[25]["activity_title"] = "Gestión"
    legacy = _write_csv(tmp_path / "late-accent.csv", rows, encoding="cp1252")
    assert opening.open_submission(legacy, TRAINING).encoding == "utf-8"  # the guess from the head
    utf8 = _write_csv(tmp_path / "late-accent-utf8.csv", rows)
    assert _found(legacy, 7) == _found(utf8, WHOLE_FILE)


def test_a_late_utf8_sequence_in_a_legacy_file_refuses_the_whole_file(tmp_path, monkeypatch):
    monkeypatch.setattr(opening, "HEAD_BYTES", 200)
    rows = [_row(n) for n in range(30)]
    rows[25]["activity_title"] = "Gestión"
    path = _write_csv(tmp_path / "mixed.csv", rows, encoding="utf-8")
    path.write_bytes(path.read_bytes().replace("Gestión".encode(), "Gestión".encode("cp1252")))  # one byte, late
    rows, whole_file, found = _found(path, 5)
    assert [rule for rule, *_ in whole_file] == ["FILE_ENCODING"] and found == [] and rows == 0


def test_xlsx_batches_find_the_same_issues_as_the_whole_file(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "training"
    sheet.append(["Quarterly training"])  # a title row above the header
    sheet.append(HEADER)
    for row in _rows():
        sheet.append([row[name] for name in HEADER])
    path = tmp_path / "training.xlsx"
    book.save(path)
    whole = _found(path, WHOLE_FILE)
    assert whole[0] == 60 and whole[2]
    assert _found(path, 7) == whole


def test_fast_readers_and_python_reader_give_the_same_cells(tmp_path, plain):
    for path in (plain, _write_csv(tmp_path / "legacy.csv", _rows(), encoding="cp1252", delimiter=",")):
        source = opening.open_submission(path, TRAINING)
        fast = pl.concat(list(source.batches(7)))
        python = pl.concat(list(python_csv.python_chunks(source, after_row=source.header_row)))
        assert fast.equals(python), path


@pytest.mark.parametrize("piece_bytes", [37, 64, 500])
def test_pieces_cut_anywhere_outside_quotes_read_the_same_rows(tmp_path, monkeypatch, plain, piece_bytes):
    """polars parses the file in pieces cut at line breaks; a quoted value spanning lines (and
    one holding doubled quotes) must never be cut, whatever the piece size."""
    rows = _rows()
    rows[30]["activity_title"] = 'Taller "Pensiones"\nsegunda línea\n"tercera"'
    quoted = _write_csv(tmp_path / "quoted.csv", rows)
    expected = _found(quoted, WHOLE_FILE)
    monkeypatch.setattr(polars_csv, "CHUNK_BYTES", piece_bytes)
    assert expected[0] == 60 and _found(quoted, 7) == expected
    assert _found(plain, 7) == _found(plain, WHOLE_FILE)
    source = opening.open_submission(quoted, TRAINING)
    python = pl.concat(list(python_csv.python_chunks(source, after_row=source.header_row)))
    assert pl.concat(list(source.batches(7))).equals(python)


@pytest.mark.parametrize("bucket_bytes", [1, 3000, 10**12])
def test_duplicate_keys_are_found_whatever_the_number_of_hash_buckets(monkeypatch, plain, bucket_bytes):
    expected = _found(plain, WHOLE_FILE)
    monkeypatch.setattr(key_index, "FILE_BYTES_PER_BUCKET", bucket_bytes)  # 256 buckets, a few, one
    assert _found(plain, 13) == expected


def test_a_stray_quote_hands_the_rest_to_python_instead_of_one_huge_piece(tmp_path, monkeypatch):
    """`5" monitor` leaves an odd number of quotes: no later line break looks safe to cut at, so
    past LONGEST_PIECE the fast reader gives up rather than hold the rest of the file."""
    rows = _rows()
    rows[1]["activity_title"] = '5" monitor'
    path = _write_csv(tmp_path / "stray.csv", rows)
    path.write_bytes(path.read_bytes().replace(b'"5"" monitor"', b'5" monitor'))  # as a hand-made file has it
    expected = _found(path, WHOLE_FILE)
    monkeypatch.setattr(polars_csv, "CHUNK_BYTES", 64)
    monkeypatch.setattr(polars_csv, "LONGEST_PIECE", 512)
    source = opening.open_submission(path, TRAINING)
    with pytest.raises(errors.FastReaderGaveUp):
        list(polars_csv._record_pieces(source.path, source.data_offset))
    assert _found(path, 7) == expected and expected[0] == 60


def test_both_readers_trim_cells_alike(tmp_path, plain):
    """Python's strip() also removes the separators \\x1c-\\x1f: a line holding only one is blank
    for the fast reader too, whichever reader reads it."""
    text = plain.read_text(encoding="utf-8").replace("\r\n\r\n", "\r\n\x1c\r\n", 1)
    path = tmp_path / "separator.csv"
    path.write_text(text, encoding="utf-8", newline="")
    source = opening.open_submission(path, TRAINING)
    python = pl.concat(list(python_csv.python_chunks(source, after_row=source.header_row)))
    assert pl.concat(list(source.batches(7))).equals(python)
    assert _found(path, 7) == _found(plain, WHOLE_FILE)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_the_fast_reader_trims_every_kind_of_whitespace_as_python_does(tmp_path, monkeypatch, delimiter):
    """Whatever whitespace a cell starts or ends with (in quotes or not, after the head where
    bare CRs are not looked for), the fast reader's cells equal Python's strip()."""
    rows = _rows()
    ends = [" ", "\t", "\n", "\u00a0", "\u2003", "\x1f", "\r", " \r\n "]  # CRs last: after the head
    for n, end in enumerate(ends):
        rows[6 * n + 2]["activity_title"] = f"{end}Taller{end}"
        rows[6 * n + 3]["provider"] = f"{end}CIESS"
        rows[6 * n + 4]["hours"] = f"12{end}"
    path = _write_csv(tmp_path / "spaces.csv", rows, delimiter=delimiter)
    monkeypatch.setattr(opening, "HEAD_BYTES", 4000)  # bare CRs beyond the head: read by polars
    monkeypatch.setattr(polars_csv, "CHUNK_BYTES", 300)
    source = opening.open_submission(path, TRAINING)
    assert source.encoding == "utf-8" and not source.lone_carriage_returns
    python = pl.concat(list(python_csv.python_chunks(source, after_row=source.header_row)))
    fast = pl.concat(list(source.batches(7)))
    assert fast.equals(python)
    assert python.get_column("c2").str.contains("^Taller$").sum() == len(ends)


def test_cells_read_untrimmed_are_checked_as_if_trimmed(tmp_path, monkeypatch):
    """The checks take the fast reader's cells with their ends untrimmed and trim only what they
    need: every finding, row number and quoted value equals what Python's reader (which strips
    every cell first) gives, for values that only convert once trimmed, cells that are only
    whitespace, and records that are only whitespace."""
    rows = _rows()
    rows[3].update(hours=" 12,5 ", certified="\u00a0sí ", thematic_area="\tpensions", start_date=" 06/04/2026")
    rows[4].update(staff_id="  ", activity_code="\u2003", hours=" ", provider=" CIESS ")  # empty once trimmed
    rows[5].update(post_score=" 101 ", modality=" ONLINE ", cost_local="1 000")  # wrong, quoted trimmed
    rows[8] = dict.fromkeys(HEADER, " ")  # a record of whitespace only: blank
    path = _write_csv(tmp_path / "spaces.csv", rows)
    fast = _found(path, 7)

    def gives_up(*args, **kwargs):
        raise errors.FastReaderGaveUp(ValueError("read by Python's reader"))
        yield  # a generator, like the reader it replaces

    monkeypatch.setattr(csv_reading, "polars_pieces", gives_up)
    python = _found(path, 7)
    assert fast == python
    assert fast[0] == 59  # the whitespace record is not counted
    found = {(row, rule, column): value for row, rule, column, value, _ in fast[2]}
    assert not [key for key in found if key[0] in (5, 10)]  # convert once trimmed; a blank record
    assert found[(6, "VALUE_REQUIRED", "staff_id")] == "" and found[(6, "VALUE_REQUIRED", "hours")] == ""
    assert found[(7, "VALUE_RANGE", "post_score")] == "101" and found[(7, "CODE_UNKNOWN", "modality")] == "ONLINE"


def test_failing_rows_worded_in_several_rounds_give_the_same_issues(monkeypatch, plain):
    """Failing rows are turned into issues a bounded number at a time (memory stays flat on files
    with many errors): however many rounds, the issues are the same."""
    expected = _found(plain, WHOLE_FILE)
    monkeypatch.setattr(validation, "WORDED_AT_ONCE", 1)
    assert _found(plain, 7) == expected and expected[2]


def test_a_stray_carriage_return_after_the_head_keeps_row_numbers(tmp_path, monkeypatch):
    """Python's reader ends a record at a CR without LF; past the head (where it is looked for
    when the file is opened) the fast reader hands over to Python's reader at that piece, so every
    later row number stays the same."""
    rows = _rows()
    path = _write_csv(tmp_path / "cr.csv", rows)
    data = path.read_bytes()
    cut = data.index(b"\r\n", len(data) * 2 // 3)
    path.write_bytes(data[:cut] + b"\r" + data[cut:])  # one record ends "\r\r\n": a blank record more
    monkeypatch.setattr(opening, "HEAD_BYTES", 2000)
    monkeypatch.setattr(polars_csv, "CHUNK_BYTES", 300)
    fast = _found(path, 7)

    def gives_up(*args, **kwargs):
        raise errors.FastReaderGaveUp(ValueError("read by Python's reader"))
        yield

    monkeypatch.setattr(csv_reading, "polars_pieces", gives_up)
    assert fast == _found(path, 7)
    assert fast[2][-1][0] == 64  # the last row's issue (61 without blank records): one row further down


def test_a_very_long_cell_is_a_value_range_whichever_reader_meets_it(tmp_path, monkeypatch):
    rows = _rows()
    rows[40]["activity_title"] = "x" * 140_000  # more than Python's csv module allows by default
    path = _write_csv(tmp_path / "long.csv", rows)
    fast = _found(path, 7)

    def gives_up(*args, **kwargs):
        raise errors.FastReaderGaveUp(ValueError("read by Python's reader"))
        yield

    monkeypatch.setattr(csv_reading, "polars_pieces", gives_up)
    assert _found(path, 7) == fast
    assert fast[0] == 60 and ("VALUE_RANGE", "activity_title") in {(rule, column) for _, rule, column, *_ in fast[2]}


@pytest.mark.parametrize("batch_rows", [1, 3, 7, WHOLE_FILE])
def test_batches_where_only_some_cells_need_the_general_conversion_type_them_alike(tmp_path, batch_rows):
    """A batch skips the general conversion of a column whose cells all have the common spelling;
    cells spelled otherwise in other batches still convert to the same values."""
    rows = [_row(n, hours="12.5", certified="yes") for n in range(24)]
    for n in range(0, 24, 5):  # every fifth row spelled another accepted way, column by column
        rows[n].update(hours=" 12,5", certified="Sí ", thematic_area="pensions", start_date="01/04/2026")
        rows[n]["end_date"] = "2026-04-11"
    path = _write_csv(tmp_path / "spellings.csv", rows, blank_after=())
    result = validate_file(path, TRAINING, PERIOD, batch_rows=batch_rows, keep_rows=True)
    assert not result.has_errors, result.row_issues
    typed = result.typed.sort("row")
    assert typed.get_column("hours").to_list() == [12.5] * 24
    assert typed.get_column("certified").to_list() == [True] * 24
    assert typed.get_column("thematic_area").to_list() == ["PENSIONS"] * 24
    starts = typed.get_column("start_date").to_list()
    assert all(starts[n] == date(2026, 4, 1) for n in range(0, 24, 5))


@pytest.mark.parametrize(
    ("encoding", "extra"), [("utf-8", None), ("utf-8", 6000), ("cp1252", None)], ids=["fast", "handed-over", "arrow"]
)
def test_a_nul_byte_past_the_head_refuses_the_whole_file(tmp_path, monkeypatch, encoding, extra):
    """Binary content anywhere refuses the file, whichever reader meets it: checked piece by piece
    by the fast reader, over the whole file before any other reader."""
    monkeypatch.setattr(polars_csv, "CHUNK_BYTES", 64 << 10)
    rows = [_row(n) for n in range(10_000)]  # past the first MB, where the head is looked at
    rows[9900]["activity_title"] = "Taller\x00"
    path = _write_csv(tmp_path / "nul.csv", rows, encoding=encoding, extra=extra)
    assert path.stat().st_size > opening.HEAD_BYTES
    result = validate_file(path, TRAINING, PERIOD, batch_rows=1000)
    assert [(issue.rule, issue.params["detail"]) for issue in result.issues] == [("FILE_FORMAT", "binary content")]
    assert result.row_issues.is_empty()


def test_a_nul_byte_is_refused_when_the_sample_changes_the_encoding(tmp_path):
    """The head reads as UTF-8, a Windows-1252 byte among the sampled rows decides the encoding
    again, and a NUL byte later still refuses the file (the reader then chosen does not look)."""
    rows = [_row(n) for n in range(400)]
    rows[10]["activity_title"] = "caf\xe9"
    rows[300]["activity_title"] = "bad\x00nul"
    path = tmp_path / "late.csv"
    with open(path, "w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        handle.write("\r\n" * 600_000)  # the first MB is blank lines: read as UTF-8
        for row in rows:
            writer.writerow([row[name] for name in HEADER])
    result = validate_file(path, TRAINING, PERIOD, keep_rows=True)
    assert [(issue.rule, issue.params["detail"]) for issue in result.issues] == [("FILE_FORMAT", "binary content")]


@pytest.mark.parametrize("batch_rows", [7, WHOLE_FILE])
def test_row_issues_come_in_row_column_and_rule_order_however_they_were_found(plain, batch_rows, monkeypatch):
    """Issues are worded a few rows at a time and duplicate keys only at the end; the receipt and the
    issues CSV list them in row order all the same (the pieces are joined, or sorted when they overlap)."""
    monkeypatch.setattr(validation, "WORDED_AT_ONCE", 2)  # many pieces, as on a large file
    found = validate_file(plain, TRAINING, PERIOD, batch_rows=batch_rows).row_issues
    assert {"KEY_DUPLICATE", "VALUE_TYPE", "VALUE_RANGE"} <= set(found.get_column("rule"))
    assert found.rows() == found.sort("row", "column", "rule").rows()
    assert found.height == len(_found(plain, WHOLE_FILE)[2])  # nothing lost or doubled on the way
