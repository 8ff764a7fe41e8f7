"""Deterministic sample submissions: what the member institutions would send, quarter after quarter.

`generate()` simulates each institution's staff (stable identifiers, a few leavers and new hires
each quarter) and their training, writes one file per institution x kind x period in that
institution's own habits (encoding, delimiter, header language, XLSX with a title row...), adds the
problem files that exercise the rules of the submission spec, and returns the plan: which file to
submit, as whom, and when.

Same arguments, same bytes: every choice comes from random.Random seeded with the seed and the
institution (and slot) it concerns, and XLSX files get fixed timestamps.

The parts: sources.simulation (staff and training), sources.writing (file layouts, CSV and XLSX),
sources.slots (what is reported), sources.problems (the problem files); here the calendar, the
schedule of uploads, the files written and the manifest.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from hashlib import sha256
from pathlib import Path

from pipelines.common import registry as reference_registry
from pipelines.common.periods import Period
from pipelines.common.settings import DEFAULT_DEADLINE_DAYS
from sources.problems import place_problems, problem_file
from sources.simulation import History, simulate
from sources.slots import GeneratedFile, Slot, render
from sources.writing import Table, institution_layouts

DEMO_SCALE = 0.01
DEMO_PERIODS: list[Period] = [Period(2025, 3), Period(2025, 4), Period(2026, 1), Period(2026, 2), Period(2026, 3)]


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
    registry = reference_registry.institutions()
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


def _clean_note(slot: Slot, table: Table) -> str:
    note = slot.layout.describe()
    multiline = any("\n" in str(row.get("activity_title", "")) for row in table.rows)
    if multiline and slot.layout.format == "csv":
        note += ", quoted titles with embedded line breaks"
    return note


def _slot_files(slot: Slot, rng: random.Random, start: datetime) -> tuple[list[GeneratedFile], GeneratedFile]:
    """The slot's files in the order sent, and the one that stays accepted (its `received_at` set)."""
    files: list[GeneratedFile] = []
    moment = start
    for spec in (problem for problem in slot.problems if problem.role == "error"):
        made = problem_file(spec, slot, rng, moment)
        made.received_at = moment
        files.append(made)
        moment = _later(rng, moment, 0, 4)
    main_spec = next((problem for problem in slot.problems if problem.role == "main"), None)
    if main_spec:
        main = problem_file(main_spec, slot, rng, moment)
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
            made = problem_file(spec, slot, rng, moment)
        made.received_at = moment
        files.append(made)
    return files, main


def _build_slots(histories: dict[str, History], periods: list[Period], seed: int) -> dict[tuple, Slot]:
    absent = _absences(list(histories), periods, seed)
    slots = {}
    for code, history in histories.items():
        layouts = institution_layouts(history.institution, seed)
        for period in periods:
            if not history.institution.expected_in(str(period)):  # not a member yet (or any more)
                continue
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
    registry = reference_registry.institutions()
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
