"""The simulated staff of one institution on each quarter's last day (stable identifiers, a few
leavers and new hires each quarter) and their training participations."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pipelines.common.periods import Period
from pipelines.common.registry import Institution
from sources import catalogue as cat
from sources.draws import day_between, pick

MIN_ROSTER = 5


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


def _round_randomly(rng: random.Random, value: float) -> int:
    return int(value) + (rng.random() < value - int(value))


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
            occupational_group=pick(rng, self.occupations),
            employment_type=employment_type or pick(rng, cat.EMPLOYMENT_MIX),
            fte=pick(rng, cat.FTE_MIX),
        )

    def veteran(self, before: date) -> Staff:
        age = int(self.rng.triangular(21, 66, 42))
        years = self.rng.randint(0, min(age - 20, 35))
        hired = before - timedelta(days=365 * years + self.rng.randint(1, 364))
        staff = self.person(hired, age)
        staff.birth_year = before.year - age
        return staff

    def hire(self, period: Period) -> Staff:
        return self.person(day_between(self.rng, period.start, period.end), int(self.rng.triangular(20, 50, 28)))


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
            taken = rng.sample(offerings, pick(rng, cat.ACTIVITIES_PER_PERSON))
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
    area = pick(rng, areas)
    course = rng.choice([course for course in cat.COURSES if course.area == area])
    provider = pick(rng, cat.PROVIDER_MIX)
    modality = "VIRTUAL" if provider == "CIESS" and rng.random() < 0.6 else pick(rng, cat.MODALITY_MIX)
    hours = rng.choice([40, 48, 60, 80, 90, 120]) if running else pick(rng, cat.HOURS_MIX)
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
        status = pick(rng, cat.CLOSED_STATUS_MIX)
    end = offering.end
    if status == "WITHDRAWN":
        end = day_between(rng, max(offering.start, period.start), min(offering.end, period.end))
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
