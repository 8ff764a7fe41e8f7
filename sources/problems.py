"""The problem files that exercise the rules of the submission spec: which problems there are, on
which slot each is placed, and how each file is made."""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import datetime, timedelta

from pipelines.contract.model import load_contract, normalise_header
from sources import catalogue as cat
from sources.draws import day_between
from sources.slots import GeneratedFile, ProblemSpec, Slot, render
from sources.writing import Layout, Table, csv_records

# Placed in this order: the most constrained first, then those that need a slot of their own (main,
# followup), then the errors, which can share a slot when a small selection runs short of them.
PROBLEMS: tuple[ProblemSpec, ...] = (
    ProblemSpec("HEADCOUNT_JUMP", "staffing", role="main"),
    ProblemSpec("FILE_ENCODING", "training", "mixed"),
    ProblemSpec("COLUMN_UNKNOWN", "training", role="main"),
    ProblemSpec("HOURS_UNUSUAL", "training", role="main"),
    ProblemSpec("AGE_UNUSUAL", "staffing", role="main"),
    ProblemSpec("STAFF_NOT_IN_ROSTER", "training", role="main"),
    ProblemSpec("DUPLICATE", "staffing", role="followup"),
    ProblemSpec("DUPLICATE", "training", role="followup"),
    ProblemSpec("RESUBMISSION", "staffing", role="followup"),
    ProblemSpec("RESUBMISSION", "training", role="followup"),
    ProblemSpec("FILE_ENCODING", "training", "utf16"),
    ProblemSpec("FILE_FORMAT", "staffing", "xls"),
    ProblemSpec("FILE_FORMAT", "training", "pdf"),
    ProblemSpec("FILE_EMPTY", "training", "header_only"),
    ProblemSpec("FILE_EMPTY", "staffing", "zero_bytes"),
    ProblemSpec("COLUMN_MISSING", "training"),
    ProblemSpec("COLUMN_DUPLICATE", "training"),
    ProblemSpec("PII_COLUMN", "staffing"),
    ProblemSpec("CODE_UNKNOWN", "training"),
    ProblemSpec("VALUE_TYPE", "training"),
    ProblemSpec("VALUE_REQUIRED", "staffing"),
    ProblemSpec("VALUE_RANGE", "staffing"),
    ProblemSpec("DATE_ORDER", "training"),
    ProblemSpec("DATE_OUT_OF_PERIOD", "training"),
    ProblemSpec("KEY_DUPLICATE", "training"),
    ProblemSpec("STATUS_CONFLICT", "training"),
)


def _jump_target(slots: dict[tuple, Slot], slot: Slot) -> int | None:
    """Rows of a roster more than 25% above the previous quarter's (the spec's HEADCOUNT_JUMP limit)
    while the next quarter's, back to normal, stays within 25% of it: only the jump itself is flagged.
    So about +30%: +40% would make the return to normal (-29%) a jump too."""
    code = slot.institution.code
    previous = slots.get((code, "staffing", slot.period.previous()))
    following = slots.get((code, "staffing", slot.period.next()))
    if previous is None or following is None or previous.problems or following.problems:
        return None
    before, now, after = (len(s.history.rosters[s.period]) for s in (previous, slot, following))
    low, high = (5 * before) // 4 + 1, (4 * after) // 3  # 4*T > 5*before and 3*T <= 4*after
    target = (low + high) // 2
    return target if high - low >= 2 and target > now else None


def _fits(spec: ProblemSpec, slot: Slot, slots: dict[tuple, Slot], strict: bool) -> bool:
    if spec.kind != slot.kind:
        return False
    if spec.code == "HEADCOUNT_JUMP":
        return _jump_target(slots, slot) is not None
    if spec.variant == "mixed":
        titles = (row["activity_title"] for row in slot.history.training[slot.period])
        return slot.lang != "en" and not all(title.isascii() for title in titles)
    return slot.size() >= 4 or not strict


def _compatible(spec: ProblemSpec, slot: Slot) -> bool:
    roles = {problem.role for problem in slot.problems}
    if spec.role == "error":
        return "main" not in roles
    if spec.role == "main":
        return not roles
    return roles <= {"error"}


def place_problems(slots: dict[tuple, Slot], seed: int) -> None:
    """Each problem on one slot: an unused one if possible, of the institution with fewest so far."""
    rng = random.Random(f"{seed}:problems")
    placed: dict[str, int] = {}
    ordered = [slots[key] for key in sorted(slots, key=lambda key: (key[0], key[1], key[2]))]
    for spec in PROBLEMS:
        candidates = [slot for slot in ordered if _fits(spec, slot, slots, strict=True)]
        candidates = candidates or [slot for slot in ordered if _fits(spec, slot, slots, strict=False)]
        pool = [slot for slot in candidates if not slot.problems]
        pool = pool or [slot for slot in candidates if _compatible(spec, slot)]
        if not pool:
            continue
        fewest = min(placed.get(slot.institution.code, 0) for slot in pool)
        slot = rng.choice([slot for slot in pool if placed.get(slot.institution.code, 0) == fewest])
        if spec.code == "HEADCOUNT_JUMP":
            slot.jump_to = _jump_target(slots, slot)
        slot.problems.append(spec)
        placed[slot.institution.code] = placed.get(slot.institution.code, 0) + 1


# ------------------------------------------------------------------------------------------------
# Problem files. Each maker gets the slot, its own random stream and the time stamp, and returns the
# file (bytes, note). Rows are numbered as a person sees them in a spreadsheet (header = row 1).


def _sheet_row(slot: Slot, index: int) -> int:
    return index + (4 if slot.layout.format == "xlsx" and slot.layout.title else 2)


def _rows_text(slot: Slot, indexes: list[int]) -> str:
    numbers = sorted(_sheet_row(slot, index) for index in indexes)
    return ("row " if len(numbers) == 1 else "rows ") + ", ".join(map(str, numbers))


def _some(rng: random.Random, rows: list[dict], count: int, where=None) -> list[int]:
    indexes = [i for i, row in enumerate(rows) if where is None or where(row)]
    return sorted(rng.sample(indexes, min(count, len(indexes))))


def _table_file(slot: Slot, table: Table, stamp: datetime, code: str, note: str) -> GeneratedFile:
    data = render(slot, table, stamp)
    return GeneratedFile(code, f"{note}; {slot.layout.describe()}", data, slot.layout.extension, len(table.rows))


def _utf16(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    layout = Layout(headers=slot.lang, delimiter="\t", newline="\r\n", booleans=cat.BOOLEAN_WORDS[slot.lang])
    text = "".join(csv_records(slot.table(layout=layout), layout))
    note = 'UTF-16LE tab-delimited text with BOM, as Excel saves "Unicode text"'
    return GeneratedFile("FILE_ENCODING", note, b"\xff\xfe" + text.encode("utf-16-le"), ".txt", len(slot.rows()))


def _mixed_encoding(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    layout = Layout(
        headers=slot.lang,
        delimiter=";",
        newline="\r\n",
        dates="%d/%m/%Y",
        decimal=",",
        booleans=cat.BOOLEAN_WORDS[slot.lang],
    )
    records = csv_records(slot.table(layout=layout), layout)
    last_accented = max(i for i, record in enumerate(records) if i > 0 and not record.isascii())
    cut = min(max(1, len(records) // 2), last_accented)
    data = "".join(records[:cut]).encode("utf-8") + "".join(records[cut:]).encode("cp1252")
    first = "first row" if cut == 2 else f"first {cut - 1} rows"
    note = f"header and {first} in UTF-8, the rest in Windows-1252 (two exports pasted together)"
    return GeneratedFile("FILE_ENCODING", note, data, ".csv", len(records) - 1)


def _old_xls(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(4088)
    return GeneratedFile("FILE_FORMAT", "old Excel 97-2003 workbook (.xls, OLE2 binary)", data, ".xls", None)


def _pdf(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    text = f"{load_contract(slot.kind).labels['en']} - {slot.institution.code} - {slot.period}"
    stream = f"BT /F1 14 Tf 72 770 Td ({text}) Tj ET"
    data = (
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n"
        f"4 0 obj << /Length {len(stream)} >> stream\n{stream}\nendstream endobj\n"
        "trailer << /Root 1 0 R >>\n%%EOF\n"
    ).encode("latin-1")
    return GeneratedFile("FILE_FORMAT", "PDF printout of the report instead of the data file", data, ".pdf", None)


def _header_only(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    return _table_file(slot, slot.table(rows=[]), stamp, "FILE_EMPTY", "header row only, no data rows")


def _zero_bytes(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    return GeneratedFile("FILE_EMPTY", "0-byte file (upload interrupted)", b"", slot.layout.extension, 0)


def _column_missing(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    table.drop_column("hours")
    return _table_file(slot, table, stamp, "COLUMN_MISSING", "no hours column")


def _column_duplicate(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    current = table.headers[table.columns.index("hours")]
    column = load_contract("training").column("hours")
    other = column.label("es") if normalise_header(current) == "hours" else column.name
    table.add_column("hours_again", other, [row["hours"] for row in table.rows], after="hours")
    return _table_file(slot, table, stamp, "COLUMN_DUPLICATE", f'hours twice: "{current}" and "{other}"')


def _pii_column(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    names = [rng.choice(cat.FAKE_NAMES[slot.lang]) for _ in table.rows]
    if slot.lang == "en":
        names = [f"{name.split()[0][0]}.{name.split()[-1]}@example.org".lower() for name in names]
    header = cat.PII_HEADER[slot.lang]
    table.add_column("pii", header, names, after="staff_id")
    return _table_file(slot, table, stamp, "PII_COLUMN", f'extra "{header}" column with (fake) personal data')


def _code_unknown(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    picked = _some(rng, table.rows, 3)
    for index in picked[:2]:
        table.rows[index]["modality"] = "ONLINE"
    table.rows[picked[-1]]["provider"] = cat.PROVIDER_TYPO[slot.lang]
    note = f'modality "ONLINE" and provider "{cat.PROVIDER_TYPO[slot.lang]}" ({_rows_text(slot, picked)})'
    return _table_file(slot, table, stamp, "CODE_UNKNOWN", note)


def _value_type(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    first, second = (_some(rng, table.rows, 2) * 2)[:2]
    table.rows[first]["hours"] = cat.NUMBER_WORDS[slot.lang]
    table.rows[second]["start_date"] = f"31/02/{slot.period.year}"
    where = _rows_text(slot, [first, second])
    note = f'hours "{cat.NUMBER_WORDS[slot.lang]}" and start date "31/02/{slot.period.year}" ({where})'
    return _table_file(slot, table, stamp, "VALUE_TYPE", note)


def _value_required(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    picked = _some(rng, table.rows, 3)
    for index in picked:
        table.rows[index]["sex"] = None
    return _table_file(slot, table, stamp, "VALUE_REQUIRED", f"sex left empty ({_rows_text(slot, picked)})")


def _value_range(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    first, second = _some(rng, table.rows, 2)
    table.rows[first]["birth_year"] = 1920
    note = f"birth year 1920 ({_rows_text(slot, [first])})"
    if "fte" in table.columns:
        table.rows[second]["fte"] = 1.5
        note += f" and fte 1.5 ({_rows_text(slot, [second])})"
    return _table_file(slot, table, stamp, "VALUE_RANGE", note)


def _closed(row: dict) -> bool:
    return row["status"] != "ENROLLED"


def _date_order(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()

    def swappable(row: dict) -> bool:  # both dates in the period: swapped, only their order is wrong
        return _closed(row) and slot.period.start <= row["start_date"] < row["end_date"]

    (index,) = _some(rng, table.rows, 1, swappable) or _some(rng, table.rows, 1)
    row = table.rows[index]
    if swappable(row):
        row["start_date"], row["end_date"] = row["end_date"], row["start_date"]
    else:
        row["start_date"] = row["end_date"] + timedelta(days=7)
    return _table_file(slot, table, stamp, "DATE_ORDER", f"end date before start date ({_rows_text(slot, [index])})")


def _date_out_of_period(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    (index,) = _some(rng, table.rows, 1, lambda row: row["status"] == "COMPLETED") or _some(rng, table.rows, 1)
    row = table.rows[index]
    row["status"] = "COMPLETED"
    row["end_date"] = slot.period.end + timedelta(days=rng.randint(5, 25))
    note = f"COMPLETED activity ending after the quarter ({_rows_text(slot, [index])})"
    return _table_file(slot, table, stamp, "DATE_OUT_OF_PERIOD", note)


def _key_duplicate(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    (index,) = _some(rng, table.rows, 1)
    table.rows.insert(index + 1, dict(table.rows[index]))
    note = f"row {_sheet_row(slot, index + 1)} repeats row {_sheet_row(slot, index)} (same staff, activity, start)"
    return _table_file(slot, table, stamp, "KEY_DUPLICATE", note)


def _status_conflict(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    (index,) = _some(rng, table.rows, 1, _closed) or _some(rng, table.rows, 1)
    row = table.rows[index]
    row.update(status="WITHDRAWN", certified=True, post_score=None)
    row["end_date"] = min(max(row["end_date"], slot.period.start), slot.period.end)
    note = f"certified on a WITHDRAWN row ({_rows_text(slot, [index])})"
    enrolled = _some(rng, table.rows, 1, lambda row: row["status"] == "ENROLLED")
    if enrolled and "post_score" in table.columns:
        table.rows[enrolled[0]]["post_score"] = 70.0
        note += f", post_score on an ENROLLED row ({_rows_text(slot, enrolled)})"
    return _table_file(slot, table, stamp, "STATUS_CONFLICT", note)


def _column_unknown(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    remarks = [rng.choice(cat.REMARKS[slot.lang]) if rng.random() < 0.2 else None for _ in table.rows]
    header = cat.REMARKS_HEADER[slot.lang]
    table.add_column("remarks", header, remarks)
    return _table_file(slot, table, stamp, "COLUMN_UNKNOWN", f'extra "{header}" column (ignored, warning only)')


def _hours_unusual(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    picked = _some(rng, table.rows, rng.randint(1, 2))
    for index in picked:
        table.rows[index]["hours"] = float(rng.choice([450, 480, 520, 600]))
    note = f"hours over 400 on a long diploma ({_rows_text(slot, picked)}, warning only)"
    return _table_file(slot, table, stamp, "HOURS_UNUSUAL", note)


def _age_unusual(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    picked = _some(rng, table.rows, rng.randint(1, 2))
    for index in picked:
        table.rows[index]["birth_year"] = slot.period.year - rng.randint(77, 80)
    note = f"staff aged 77-80 ({_rows_text(slot, picked)}, warning only)"
    return _table_file(slot, table, stamp, "AGE_UNUSUAL", note)


def _not_in_roster(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    table = slot.table()
    gone = [staff_id for period, staff_id in slot.history.leavers if period <= slot.period]
    strangers = rng.sample(gone, min(3, len(gone)))
    strangers += [slot.history.people.staff_id(800000 + n) for n in range(2 - len(strangers))]
    for staff_id in strangers:
        copy = dict(rng.choice(table.rows), staff_id=staff_id)
        table.rows.append(copy)
    note = f"{len(strangers)} participations of staff not on the quarter's roster ({', '.join(strangers)})"
    return _table_file(slot, table, stamp, "STAFF_NOT_IN_ROSTER", note)


def _headcount_jump(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    rows = slot.rows()
    extra = slot.jump_to - len(rows)
    people = slot.history.people
    for n in range(extra):
        hired = day_between(rng, slot.period.start - timedelta(days=400), slot.period.end)
        contractor = people.person(hired, rng.randint(22, 45), "CONTRACTOR", number=900000 + 7 * n, rng=rng)
        rows.append(asdict(contractor))
    previous = len(slot.history.rosters[slot.period.previous()])
    note = f"roster of {len(rows)} against {previous} last quarter: {extra} call-centre contractors included"
    return _table_file(slot, slot.table(rows), stamp, "HEADCOUNT_JUMP", note)


def _resubmission(slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    rows = slot.rows()
    change = _regroup_staff if slot.kind == "staffing" else _add_forgotten_participations
    note = change(slot, rows, rng)
    return _table_file(slot, slot.table(rows), stamp, "RESUBMISSION", f"corrected version 2: {note}")


def _regroup_staff(slot: Slot, rows: list[dict], rng: random.Random) -> str:
    picked = _some(rng, rows, rng.randint(1, 3))
    codes = load_contract("staffing").column("occupational_group").codes
    for index in picked:
        rows[index]["occupational_group"] = rng.choice(
            [code for code in codes if code != rows[index]["occupational_group"]]
        )
    return f"occupational group fixed ({_rows_text(slot, picked)})"


def _add_forgotten_participations(slot: Slot, rows: list[dict], rng: random.Random) -> str:
    keys = {(row["staff_id"], row["activity_code"], row["start_date"]) for row in rows}
    roster = [staff.staff_id for staff in slot.history.rosters[slot.period]]
    wanted, added = rng.randint(1, 3), 0
    for _ in range(100):  # a few tries: in a small institution most pairs may already be there
        copy = dict(rng.choice(rows), staff_id=rng.choice(roster))
        key = (copy["staff_id"], copy["activity_code"], copy["start_date"])
        if key not in keys:
            keys.add(key)
            rows.append(copy)
            added += 1
            if added == wanted:
                break
    if added:
        return f"{added} participation{'s' * (added > 1)} left out of version 1 added"
    (index,) = _some(rng, rows, 1)
    rows[index]["hours"] += 4  # nothing left to add: a corrected value still makes a new version
    return f"hours corrected ({_rows_text(slot, [index])})"


_MAKERS = {
    ("FILE_ENCODING", "utf16"): _utf16,
    ("FILE_ENCODING", "mixed"): _mixed_encoding,
    ("FILE_FORMAT", "xls"): _old_xls,
    ("FILE_FORMAT", "pdf"): _pdf,
    ("FILE_EMPTY", "header_only"): _header_only,
    ("FILE_EMPTY", "zero_bytes"): _zero_bytes,
    ("COLUMN_MISSING", ""): _column_missing,
    ("COLUMN_DUPLICATE", ""): _column_duplicate,
    ("PII_COLUMN", ""): _pii_column,
    ("CODE_UNKNOWN", ""): _code_unknown,
    ("VALUE_TYPE", ""): _value_type,
    ("VALUE_REQUIRED", ""): _value_required,
    ("VALUE_RANGE", ""): _value_range,
    ("DATE_ORDER", ""): _date_order,
    ("DATE_OUT_OF_PERIOD", ""): _date_out_of_period,
    ("KEY_DUPLICATE", ""): _key_duplicate,
    ("STATUS_CONFLICT", ""): _status_conflict,
    ("COLUMN_UNKNOWN", ""): _column_unknown,
    ("HOURS_UNUSUAL", ""): _hours_unusual,
    ("AGE_UNUSUAL", ""): _age_unusual,
    ("STAFF_NOT_IN_ROSTER", ""): _not_in_roster,
    ("HEADCOUNT_JUMP", ""): _headcount_jump,
    ("RESUBMISSION", ""): _resubmission,
}


def problem_file(spec: ProblemSpec, slot: Slot, rng: random.Random, stamp: datetime) -> GeneratedFile:
    """The file showing `spec` on `slot` (not for DUPLICATE: a re-send of the accepted file)."""
    return _MAKERS[(spec.code, spec.variant)](slot, rng, stamp)
