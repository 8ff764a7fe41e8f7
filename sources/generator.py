"""Deterministic sample submissions: what the member institutions would send, quarter after quarter.

`generate()` simulates each institution's staff (stable identifiers, a few leavers and new hires
each quarter) and their training, writes one file per institution x kind x period in that
institution's own habits (encoding, delimiter, header language, XLSX with a title row...), adds the
problem files that exercise the rules of the submission spec, and returns the plan: which file to
submit, as whom, and when.

Same arguments, same bytes: every choice comes from random.Random seeded with the seed and the
institution (and slot) it concerns, and XLSX files get fixed timestamps.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import zipfile
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.writer.excel import ExcelWriter

from pipelines import reference
from pipelines.contracts import load_contract, normalise_header
from pipelines.periods import Period
from pipelines.reference import Institution
from pipelines.settings import DEFAULT_DEADLINE_DAYS
from sources import catalogue as cat

DEMO_SCALE = 0.01
DEMO_PERIODS: list[Period] = [Period(2025, 3), Period(2025, 4), Period(2026, 1), Period(2026, 2), Period(2026, 3)]
MIN_ROSTER = 5


@dataclass(frozen=True)
class PlannedSubmission:
    institution: str  # institution_code
    kind: str  # "staffing" | "training"
    period: str  # "2026-Q2"
    path: Path  # the generated file
    received_at: datetime  # simulated upload time, timezone-aware UTC
    problem: str | None  # the spec rule code the file is built to show, "DUPLICATE", "RESUBMISSION" or None
    note: str  # one line, English, what is special about the file


# ------------------------------------------------------------------------------------------------
# Simulation of one institution: staff on each quarter's last day, and their training.


@dataclass
class Staff:  # field names are the staffing contract's column names
    staff_id: str
    sex: str
    birth_year: int
    hire_date: date
    occupational_group: str
    employment_type: str
    fte: float


@dataclass(frozen=True)
class Offering:
    """One run of a course: everyone enrolled shares its dates, hours, provider and cost."""

    course: cat.Course
    provider: str
    modality: str
    hours: float
    start: date
    end: date
    cost: float | None  # per participant, in local currency


@dataclass
class History:
    institution: Institution
    people: People
    rosters: dict[Period, list[Staff]] = field(default_factory=dict)
    training: dict[Period, list[dict[str, Any]]] = field(default_factory=dict)
    leavers: list[tuple[Period, str]] = field(default_factory=list)


def _pick(rng: random.Random, weights: dict) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _round_randomly(rng: random.Random, value: float) -> int:
    return int(value) + (rng.random() < value - int(value))


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


class People:
    """Makes the staff members of one institution, with its own identifier habit."""

    def __init__(self, institution: Institution, rng: random.Random):
        self.rng = rng
        self.style = rng.choice(cat.ID_STYLES)
        self.prefix = institution.code.split("-", 1)[1][:3]
        self.number = rng.randint(1000, 60000)
        self.women = cat.WOMEN_SHARE.get(institution.branch, cat.WOMEN_SHARE_DEFAULT)
        self.occupations = cat.OCCUPATION_MIX.get(institution.branch, cat.OCCUPATION_MIX["PENSIONS"])

    def staff_id(self, number: int | None = None) -> str:
        if number is None:
            self.number += self.rng.randint(1, 9)
            number = self.number
        return self.style.format(n=number, prefix=self.prefix)

    def person(
        self,
        hired: date,
        age: int,
        employment_type: str | None = None,
        number: int | None = None,
        rng: random.Random | None = None,
    ) -> Staff:
        rng = rng or self.rng
        draw = rng.random()
        sex = "X" if draw < cat.SEX_X_SHARE else "F" if draw < self.women else "M"
        return Staff(
            staff_id=self.staff_id(number),
            sex=sex,
            birth_year=hired.year - age,
            hire_date=hired,
            occupational_group=_pick(rng, self.occupations),
            employment_type=employment_type or _pick(rng, cat.EMPLOYMENT_MIX),
            fte=_pick(rng, cat.FTE_MIX),
        )

    def veteran(self, before: date) -> Staff:
        age = int(self.rng.triangular(21, 66, 42))
        years = self.rng.randint(0, min(age - 20, 35))
        hired = before - timedelta(days=365 * years + self.rng.randint(1, 364))
        staff = self.person(hired, age)
        staff.birth_year = before.year - age
        return staff

    def hire(self, period: Period) -> Staff:
        return self.person(_day_between(self.rng, period.start, period.end), int(self.rng.triangular(20, 50, 28)))


def _quarters(periods: list[Period]) -> list[Period]:
    """Every quarter from the first to the last period asked for (the staff live through all)."""
    span = [periods[0]]
    while span[-1] < periods[-1]:
        span.append(span[-1].next())
    return span


def simulate(institution: Institution, periods: list[Period], scale: float, seed: int) -> History:
    rng = random.Random(f"{seed}:{institution.code}")
    history = History(institution, People(institution, rng))
    quarters = _quarters(periods)
    staff = [
        history.people.veteran(quarters[0].start)
        for _ in range(max(MIN_ROSTER, round(institution.approx_staff * scale)))
    ]
    for period in quarters:
        headcount = len(staff)
        leaving = _round_randomly(rng, headcount * rng.uniform(0.02, 0.04))
        hires = max(0, leaving + _round_randomly(rng, headcount * rng.uniform(-0.005, 0.01)))
        hires = max(hires, MIN_ROSTER - headcount + leaving)
        for index in sorted(rng.sample(range(headcount), leaving), reverse=True):
            history.leavers.append((period, staff.pop(index).staff_id))
        staff.extend(history.people.hire(period) for _ in range(hires))
        history.rosters[period] = list(staff)
    _simulate_training(history, quarters, rng)
    return history


def _simulate_training(history: History, quarters: list[Period], rng: random.Random) -> None:
    institution = history.institution
    areas = cat.AREA_MIX.get(institution.branch, cat.AREA_MIX["PENSIONS"])
    per_usd = cat.CURRENCY_PER_USD.get(institution.currency, 1)
    participation = rng.uniform(0.35, 0.60)
    keeps_scores = rng.random() < 0.8
    running: list[tuple[str, Offering]] = []  # enrolments still open at the previous quarter's end
    for period in quarters:
        roster = history.rosters[period]
        on_roster = {staff.staff_id for staff in roster}
        wanted = [(staff_id, offering) for staff_id, offering in running if staff_id in on_roster]
        count = max(3, round(1.6 * math.sqrt(len(roster))))
        offerings = [_offering(rng, areas, per_usd, period, running=rng.random() < 0.14) for _ in range(count)]
        share = participation + rng.uniform(-0.05, 0.05)
        for staff in rng.sample(roster, max(1, round(len(roster) * share))):
            taken = rng.sample(offerings, _pick(rng, cat.ACTIVITIES_PER_PERSON))
            wanted += [(staff.staff_id, offering) for offering in taken]
        rows, keys, running = [], set(), []
        for staff_id, offering in wanted:
            key = (staff_id, offering.course.code, offering.start)
            if key in keys:
                continue
            keys.add(key)
            rows.append(_participation(rng, staff_id, offering, period, keeps_scores, institution.language))
            if rows[-1]["status"] == "ENROLLED":
                running.append((staff_id, offering))
        rows.sort(key=lambda row: (row["start_date"], row["activity_code"], row["staff_id"]))
        history.training[period] = rows


def _duration_days(hours: float, modality: str) -> int:
    if modality == "IN_PERSON":
        workdays = math.ceil(hours / 7)  # seven hours a day, Monday to Friday
        return workdays + 2 * ((workdays - 1) // 5)
    return min(98, 7 * math.ceil(hours / 5))  # about five hours a week, online or blended


def _money(amount: float, per_usd: float) -> float:
    if per_usd >= 100:
        return float(round(amount, -2))
    if per_usd >= 10:
        return float(round(amount))
    return round(amount, 2)


def _offering(rng: random.Random, areas: dict, per_usd: float, period: Period, running: bool) -> Offering:
    area = _pick(rng, areas)
    course = rng.choice([course for course in cat.COURSES if course.area == area])
    provider = _pick(rng, cat.PROVIDER_MIX)
    modality = "VIRTUAL" if provider == "CIESS" and rng.random() < 0.6 else _pick(rng, cat.MODALITY_MIX)
    hours = rng.choice([40, 48, 60, 80, 90, 120]) if running else _pick(rng, cat.HOURS_MIX)
    days = _duration_days(hours, modality)
    length = (period.end - period.start).days
    if running:  # still open at the quarter's end; closes within the next quarter
        end = period.end + timedelta(days=rng.randint(10, 80))
        start = max(period.start + timedelta(days=rng.randint(0, 30)), end - timedelta(days=days - 1))
        start = min(start, period.end - timedelta(days=3))
    else:
        end = period.start + timedelta(days=rng.randint(min(days - 1, length), length))
        start = max(period.start, end - timedelta(days=days - 1))
    low, high = cat.COST_USD.get(provider, cat.COST_USD_DEFAULT)
    untracked = provider == "IN_HOUSE" and rng.random() < 0.3
    cost = None if untracked else _money(rng.uniform(low, high) * per_usd, per_usd)
    return Offering(course, provider, modality, hours, start, end, cost)


def _score(value: float) -> float:
    return min(100.0, max(0.0, round(value * 2) / 2))


def _participation(
    rng: random.Random, staff_id: str, offering: Offering, period: Period, keeps_scores: bool, language: str
) -> dict[str, Any]:
    if offering.end > period.end:
        status = "WITHDRAWN" if rng.random() < 0.12 else "ENROLLED"
    else:
        status = _pick(rng, cat.CLOSED_STATUS_MIX)
    end = offering.end
    if status == "WITHDRAWN":
        end = _day_between(rng, max(offering.start, period.start), min(offering.end, period.end))
    graded = status in ("COMPLETED", "FAILED")
    pre = post = None
    if keeps_scores and rng.random() < (0.8 if graded else 0.25):
        pre = _score(rng.uniform(30, 75))
        if status == "COMPLETED":
            post = _score(pre + (rng.uniform(5, 30) if rng.random() < 0.92 else rng.uniform(-5, 4)))
        elif status == "FAILED":
            post = min(59.0, _score(pre + rng.uniform(-8, 10)))
    certified = status == "COMPLETED" and rng.random() < cat.CERTIFICATE_RATE.get(
        offering.provider, cat.CERTIFICATE_RATE_DEFAULT
    )
    return {
        "staff_id": staff_id,
        "activity_code": offering.course.code,
        "activity_title": offering.course.titles[language],
        "provider": offering.provider,
        "modality": offering.modality,
        "thematic_area": offering.course.area,
        "start_date": offering.start,
        "end_date": end,
        "hours": offering.hours,
        "status": status,
        "pre_score": pre,
        "post_score": post,
        "certified": certified,
        "cost_local": offering.cost,
    }


# ------------------------------------------------------------------------------------------------
# How an institution writes its files.


@dataclass(frozen=True)
class Layout:
    format: str = "csv"  # csv | xlsx
    headers: str = "name"  # "name": canonical column names; else a language of the contract's labels
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | cp1252
    delimiter: str = ","
    newline: str = "\n"
    dates: str = "%Y-%m-%d"
    decimal: str = "."
    booleans: tuple[str, str] = ("true", "false")
    title: bool = False  # XLSX: a title row and a blank row above the header
    named_sheet: bool = False  # XLSX: an instructions sheet first, the data on a sheet named like the kind
    omit: tuple[str, ...] = ()  # optional columns not sent

    @property
    def extension(self) -> str:
        return ".xlsx" if self.format == "xlsx" else ".txt" if self.delimiter == "\t" else ".csv"

    def describe(self) -> str:
        headers = "canonical column names" if self.headers == "name" else f"{cat.LANGUAGE_NAMES[self.headers]} headers"
        dates = {"%Y-%m-%d": "ISO dates", "%d/%m/%Y": "DD/MM/YYYY dates", "%d-%m-%Y": "DD-MM-YYYY dates"}[self.dates]
        if self.format == "xlsx":
            parts = ["XLSX", headers, f"date cells ({dates.split()[0]})"]
            parts += ["title row and blank row above the header"] * self.title
            parts += ["data on a named sheet after an instructions sheet"] * self.named_sheet
        else:
            encoding = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}[self.encoding]
            delimiter = {",": "','", ";": "';'", "\t": "tab-delimited"}[self.delimiter]
            parts = [f"CSV {encoding}", delimiter, headers, dates]
            parts += ["decimal commas"] * (self.decimal == ",") + ["CRLF"] * (self.newline == "\r\n")
        parts += [f"without {', '.join(self.omit)}"] * bool(self.omit)
        return ", ".join(parts)


def _layout(institution: Institution, rng: random.Random) -> Layout:
    lang = institution.language
    words = cat.BOOLEAN_WORDS[lang]
    style = _pick(rng, cat.FILE_STYLE_MIX[lang])
    if style == "xlsx" and institution.approx_staff > 20000:
        style = "template"  # large institutions export from an HR system, not from Excel
    if style == "template":
        return Layout(encoding=rng.choice(["utf-8", "utf-8", "utf-8-sig"]), newline=rng.choice(["\n", "\r\n"]))
    if style == "labels":
        return Layout(headers="en", newline="\r\n", booleans=words, dates=rng.choice(["%Y-%m-%d", "%d/%m/%Y"]))
    if style == "tab":
        return Layout(
            headers=lang if lang in ("pt", "fr") else rng.choice(["name", lang]),
            encoding=rng.choice(["utf-8", "utf-8-sig"]),
            delimiter="\t",
            newline="\r\n",
            dates=rng.choice(["%Y-%m-%d", "%d-%m-%Y"]),
            booleans=words,
        )
    if style == "excel":
        encoding = "cp1252" if lang == "es" and rng.random() < 0.8 else rng.choice(["utf-8-sig", "utf-8"])
        return Layout(
            headers=lang,
            encoding=encoding,
            delimiter=";",
            newline="\r\n",
            dates="%d/%m/%Y",
            decimal=",",
            booleans=words,
        )
    return Layout(
        format="xlsx",
        headers=lang,
        dates=rng.choice(["%d/%m/%Y", "%Y-%m-%d"]),
        booleans=words,
        title=rng.random() < 0.7,
        named_sheet=rng.random() < 0.3,
    )


def _layouts(institution: Institution, seed: int) -> dict[str, Layout]:
    rng = random.Random(f"{seed}:{institution.code}:layout")
    base = _layout(institution, rng)
    staffing_omit = ("fte",) if rng.random() < 0.15 else ()
    training_omit = ("pre_score", "post_score") * (rng.random() < 0.15) + ("cost_local",) * (rng.random() < 0.25)
    return {"staffing": replace(base, omit=staffing_omit), "training": replace(base, omit=training_omit)}


@dataclass
class Table:
    columns: list[str]  # the contract's column names, or the key of an extra column
    headers: list[str]
    rows: list[dict[str, Any]]

    def add_column(self, key: str, header: str, values: list[Any], after: str | None = None) -> None:
        position = self.columns.index(after) + 1 if after else len(self.columns)
        self.columns.insert(position, key)
        self.headers.insert(position, header)
        for row, value in zip(self.rows, values, strict=True):
            row[key] = value

    def drop_column(self, key: str) -> None:
        position = self.columns.index(key)
        del self.columns[position], self.headers[position]


def _cell_text(value: Any, layout: Layout) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return layout.booleans[0] if value else layout.booleans[1]
    if isinstance(value, date):
        return value.strftime(layout.dates)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", layout.decimal)
    return str(value)


def csv_records(table: Table, layout: Layout) -> list[str]:
    """The header and each row as CSV text, one string per record (a record may hold line breaks)."""
    records = []
    for cells in [table.headers, *([_cell_text(row.get(key), layout) for key in table.columns] for row in table.rows)]:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=layout.delimiter, lineterminator=layout.newline).writerow(cells)
        records.append(buffer.getvalue())
    return records


def _xlsx_value(value: Any, layout: Layout) -> Any:
    if isinstance(value, bool):
        return layout.booleans[0] if value else layout.booleans[1]
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return value


def xlsx_bytes(table: Table, layout: Layout, kind: str, lang: str, title: str, stamp: datetime) -> bytes:
    contract = load_contract(kind)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    label = contract.labels.get(lang, contract.labels["en"])
    if layout.named_sheet:
        # the reader takes the sheet named like the kind over the first one
        name = next((n for n in contract.sheet_names if normalise_header(n) in normalise_header(label)), kind)
        sheet.title = cat.INSTRUCTIONS_SHEET[lang]
        sheet.append([cat.INSTRUCTIONS[lang].format(sheet=name.capitalize())])
        sheet = workbook.create_sheet(name.capitalize())
    else:
        sheet.title = label[:31]
    if layout.title:
        sheet.append([title])
        sheet.append([])
    sheet.append(table.headers)
    number_format = {"%d/%m/%Y": "DD/MM/YYYY", "%Y-%m-%d": "YYYY-MM-DD"}.get(layout.dates, "DD/MM/YYYY")
    for row in table.rows:
        sheet.append([_xlsx_value(row.get(key), layout) for key in table.columns])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = number_format
    naive = stamp.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    workbook.properties.created = workbook.properties.modified = naive
    workbook.properties.creator = workbook.properties.lastModifiedBy = "Microsoft Excel"
    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()  # save_workbook stamps now()
    return _fixed_zip_times(buffer.getvalue(), naive)


def _fixed_zip_times(data: bytes, stamp: datetime) -> bytes:
    """zipfile stamps each member with the current time; rewrite them with a fixed one."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# Slots (institution x kind x period that is reported), the problems placed on them, their files.


@dataclass(frozen=True)
class ProblemSpec:
    code: str
    kind: str
    variant: str = ""
    role: str = "error"  # error: rejected, then a clean file follows; main: the accepted file; followup: after it


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


@dataclass
class Slot:
    history: History
    kind: str
    period: Period
    layout: Layout
    problems: list[ProblemSpec] = field(default_factory=list)
    jump_to: int | None = None  # HEADCOUNT_JUMP: rows of the inflated roster

    @property
    def institution(self) -> Institution:
        return self.history.institution

    @property
    def lang(self) -> str:
        return self.institution.language

    def size(self) -> int:
        return len(self.history.rosters[self.period] if self.kind == "staffing" else self.history.training[self.period])

    def rows(self) -> list[dict[str, Any]]:
        """A fresh copy of the slot's true rows (problem makers change their copy)."""
        if self.kind == "staffing":
            return [asdict(staff) for staff in self.history.rosters[self.period]]
        return [dict(row) for row in self.history.training[self.period]]

    def table(self, rows: list[dict[str, Any]] | None = None, layout: Layout | None = None) -> Table:
        """The rows under the headers of the institution's layout (or of another one)."""
        layout = layout or self.layout
        contract = load_contract(self.kind)
        columns = [column for column in contract.columns if column.name not in layout.omit]
        headers = [column.name if layout.headers == "name" else column.label(layout.headers) for column in columns]
        return Table([column.name for column in columns], headers, self.rows() if rows is None else rows)

    def title(self) -> str:
        labels = load_contract(self.kind).labels
        return f"{labels.get(self.lang, labels['en'])} - {self.institution.name} - {self.period}"


@dataclass
class GeneratedFile:
    problem: str | None
    note: str
    data: bytes
    extension: str
    rows: int | None
    received_at: datetime | None = None


def render(slot: Slot, table: Table, stamp: datetime) -> bytes:
    if slot.layout.format == "xlsx":
        return xlsx_bytes(table, slot.layout, slot.kind, slot.lang, slot.title(), stamp)
    return "".join(csv_records(table, slot.layout)).encode(slot.layout.encoding)


def _clean_note(slot: Slot, table: Table) -> str:
    note = slot.layout.describe()
    multiline = any("\n" in str(row.get("activity_title", "")) for row in table.rows)
    if multiline and slot.layout.format == "csv":
        note += ", quoted titles with embedded line breaks"
    return note


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
        hired = _day_between(rng, slot.period.start - timedelta(days=400), slot.period.end)
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


# ------------------------------------------------------------------------------------------------
# The calendar: who reports what, and when.


def _working_day(day: date, forward: bool) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1 if forward else -1)
    return day


def _at(rng: random.Random, day: date) -> datetime:
    """A moment of a working day in the Americas' office hours, in UTC."""
    return datetime.combine(day, time(rng.randint(12, 22), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=UTC)


def _later(rng: random.Random, moment: datetime, low_days: int, high_days: int) -> datetime:
    days = rng.randint(low_days, high_days)
    if days == 0:
        return moment + timedelta(minutes=rng.randint(20, 240), seconds=rng.randint(0, 59))
    return _at(rng, _working_day(moment.date() + timedelta(days=days), forward=True))


def _first_upload(rng: random.Random, period: Period, late: bool) -> datetime:
    if late:
        day = _working_day(period.end + timedelta(days=rng.randint(DEFAULT_DEADLINE_DAYS + 1, 75)), forward=True)
    else:
        offset = int(rng.triangular(3, DEFAULT_DEADLINE_DAYS - 1, 35))
        day = _working_day(period.end + timedelta(days=offset), forward=False)
    return _at(rng, day)


def _absences(codes: list[str], periods: list[Period], seed: int) -> dict[tuple[str, Period], tuple[str, ...]]:
    """A few small institutions skip a quarter now and then (training only, or both files: never the
    roster alone, so that no training file arrives without its roster); one skips the latest quarter."""
    rng = random.Random(f"{seed}:absences")
    registry = reference.institutions()
    small = [code for code in codes if registry[code].approx_staff <= 700]
    absent: dict[tuple[str, Period], tuple[str, ...]] = {}
    for code in rng.sample(small, min(4, len(small))):
        for period in periods[:-1]:
            draw = rng.random()
            if draw < 0.3:
                absent[(code, period)] = ("staffing", "training") if draw < 0.1 else ("training",)
    if len(codes) > 1:
        absent[(rng.choice(small or codes), periods[-1])] = ("staffing", "training")
    return absent


# ------------------------------------------------------------------------------------------------
# Putting it together.


def _slot_files(slot: Slot, rng: random.Random, start: datetime) -> tuple[list[GeneratedFile], GeneratedFile]:
    """The slot's files in the order sent, and the one that stays accepted (its `received_at` set)."""
    files: list[GeneratedFile] = []
    moment = start
    for spec in (problem for problem in slot.problems if problem.role == "error"):
        made = _MAKERS[(spec.code, spec.variant)](slot, rng, moment)
        made.received_at = moment
        files.append(made)
        moment = _later(rng, moment, 0, 4)
    main_spec = next((problem for problem in slot.problems if problem.role == "main"), None)
    if main_spec:
        main = _MAKERS[(main_spec.code, main_spec.variant)](slot, rng, moment)
    else:
        table = slot.table()
        main = GeneratedFile(
            None, _clean_note(slot, table), render(slot, table, moment), slot.layout.extension, len(table.rows)
        )
    if files:
        main.note = f"corrected file after the rejected {', '.join(f.problem for f in files)}; {main.note}"
    main.received_at = moment
    files.append(main)
    for spec in (problem for problem in slot.problems if problem.role == "followup"):
        moment = _later(rng, moment, 2, 25)
        if spec.code == "DUPLICATE":
            made = GeneratedFile(
                "DUPLICATE", "byte-identical re-send of the accepted file", main.data, main.extension, main.rows
            )
        else:
            made = _MAKERS[(spec.code, spec.variant)](slot, rng, moment)
        made.received_at = moment
        files.append(made)
    return files, main


def _build_slots(histories: dict[str, History], periods: list[Period], seed: int) -> dict[tuple, Slot]:
    absent = _absences(list(histories), periods, seed)
    slots = {}
    for code, history in histories.items():
        layouts = _layouts(history.institution, seed)
        for period in periods:
            for kind in ("staffing", "training"):
                if kind not in absent.get((code, period), ()):
                    slots[(code, kind, period)] = Slot(history, kind, period, layouts[kind])
    return slots


def _schedule(slots: dict[tuple, Slot], seed: int) -> list[tuple[Slot, GeneratedFile]]:
    """Every file with its upload time. An institution sends its roster first and its training file
    once the roster is accepted, so that training is always checked against a roster."""
    sent = []
    roster_accepted: dict[tuple[str, Period], datetime] = {}
    for (code, kind, period), slot in sorted(slots.items(), key=lambda item: (item[0][0], item[0][2], item[0][1])):
        rng = random.Random(f"{seed}:{code}:{period}:{kind}")
        if kind == "staffing":
            chronic = random.Random(f"{seed}:{code}:punctuality").random() < 0.25
            start = _first_upload(rng, period, late=rng.random() < (0.35 if chronic else 0.06))
        else:
            start = _later(rng, roster_accepted[(code, period)], 0, rng.choice([0, 0, 1, 3, 6]))
        files, main = _slot_files(slot, rng, start)
        if kind == "staffing":
            roster_accepted[(code, period)] = main.received_at
        sent.extend((slot, file) for file in files)
    return sent


def generate(
    out_dir: Path,
    *,
    periods: list[Period] | None = None,
    scale: float = DEMO_SCALE,
    seed: int = 2026,
    institutions: list[str] | None = None,
    with_problems: bool = True,
) -> list[PlannedSubmission]:
    """Writes files under out_dir/<period>/<institution>/<kind>[-n].<ext> and out_dir/manifest.json;
    returns the plan sorted by received_at (the order in which they should be submitted)."""
    out_dir = Path(out_dir)
    periods = sorted({Period.parse(p) if isinstance(p, str) else p for p in (periods or DEMO_PERIODS)})
    registry = reference.institutions()
    codes = sorted(set(institutions or registry))
    unknown = [code for code in codes if code not in registry]
    if unknown:
        raise KeyError(f"unknown institutions: {', '.join(unknown)}")
    histories = {code: simulate(registry[code], periods, scale, seed) for code in codes}
    slots = _build_slots(histories, periods, seed)
    if with_problems:
        place_problems(slots, seed)
    sent = _schedule(slots, seed)
    plan, entries = _write(out_dir, sent)
    manifest = {
        "generator": "sources.generator",
        "seed": seed,
        "scale": scale,
        "with_problems": with_problems,
        "deadline_days": DEFAULT_DEADLINE_DAYS,
        "periods": [str(period) for period in periods],
        "institutions": codes,
        "submissions": entries,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return plan


def _write(out_dir: Path, sent: list[tuple[Slot, GeneratedFile]]) -> tuple[list[PlannedSubmission], list[dict]]:
    sent = sorted(sent, key=lambda item: (item[1].received_at, item[0].institution.code, item[0].kind))
    per_slot: dict[tuple, list[GeneratedFile]] = {}
    for slot, file in sent:
        per_slot.setdefault((slot.institution.code, slot.kind, slot.period), []).append(file)
    seen: dict[tuple, int] = {}
    plan, entries = [], []
    for slot, file in sent:
        key = (slot.institution.code, slot.kind, slot.period)
        seen[key] = seen.get(key, 0) + 1
        name = slot.kind if len(per_slot[key]) == 1 else f"{slot.kind}-{seen[key]}"
        relative = Path(str(slot.period), slot.institution.code, name + file.extension)
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.data)
        plan.append(
            PlannedSubmission(key[0], slot.kind, str(slot.period), path, file.received_at, file.problem, file.note)
        )
        entries.append(
            {
                "institution": key[0],
                "kind": slot.kind,
                "period": str(slot.period),
                "path": relative.as_posix(),
                "received_at": file.received_at.isoformat().replace("+00:00", "Z"),
                "late": file.received_at.date() > slot.period.deadline(DEFAULT_DEADLINE_DAYS),
                "problem": file.problem,
                "note": file.note,
                "rows": file.rows,
                "sha256": sha256(file.data).hexdigest(),
            }
        )
    return plan, entries
