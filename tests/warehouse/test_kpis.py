"""Every KPI of capacity_by_institution and capacity_by_subregion, computed again here in plain
pandas from the files that were submitted, against the published marts (of the built sample)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from pipelines.common.periods import Period
from pipelines.common.registry import institutions
from pipelines.contract.model import load_contract
from pipelines.intake.checking.validation import validate_file
from tests.conftest import SAMPLE_INSTITUTIONS, SAMPLE_PERIODS, copy_home

pytestmark = pytest.mark.warehouse
SUBSET = SAMPLE_INSTITUTIONS
PERIODS = SAMPLE_PERIODS
MEASURES = ["headcount", "fte", "participants", "staff_trained", "training_coverage", "completed_hours",
            "hours_per_employee", "closed_enrolments", "completions", "completion_rate", "certifications",
            "certification_rate", "mean_score_gain", "female_coverage", "male_coverage", "gender_parity_index",
            "ciess_hours_share"]  # fmt: skip


def _ratio(numerator, denominator):
    return None if not denominator else numerator / denominator


def _sums(roster: pd.DataFrame | None, training: pd.DataFrame | None, period: Period) -> dict:
    """Numerators and denominators of one institution x period, straight from the spec's words."""
    sums = {}
    if roster is not None:
        sums |= {
            "headcount": len(roster),
            "fte": roster["fte"].sum(),
            "headcount_female": (roster["sex"] == "F").sum(),
            "headcount_male": (roster["sex"] == "M").sum(),
        }
    if training is not None:
        ended = training["end_date"].between(pd.Timestamp(period.start), pd.Timestamp(period.end))
        completed = training[(training["status"] == "COMPLETED") & ended]
        both = completed.dropna(subset=["pre_score", "post_score"])
        sums |= {
            "participants": training["staff_id"].nunique(),
            "completed_hours": completed["hours"].sum(),
            "ciess_hours": completed.loc[completed["provider"] == "CIESS", "hours"].sum(),
            "closed_enrolments": training["status"].isin(["COMPLETED", "WITHDRAWN", "FAILED"]).sum(),
            "completions": (training["status"] == "COMPLETED").sum(),
            "certifications": ((training["status"] == "COMPLETED") & training["certified"]).sum(),
            "gain_sum": (both["post_score"] - both["pre_score"]).sum(),
            "gain_n": len(both),
        }
        if roster is not None:
            trained = roster[roster["staff_id"].isin(set(completed["staff_id"]))]
            sums |= {
                "staff_trained": len(trained),
                "trained_female": (trained["sex"] == "F").sum(),
                "trained_male": (trained["sex"] == "M").sum(),
                "hours_rostered": completed["hours"].sum(),
                # coverage-type ratios: only institutions with both files, numerator and denominator alike
                "headcount_both": sums["headcount"],
                "female_both": sums["headcount_female"],
                "male_both": sums["headcount_male"],
            }
    # a roster without a training file: no training measure at all (a missing file is not zero activity)
    return sums


def _measures(parts: list[dict]) -> dict:
    def total(name):
        values = [part[name] for part in parts if name in part]
        return sum(values) if values else None

    female = _ratio(total("trained_female"), total("female_both"))
    male = _ratio(total("trained_male"), total("male_both"))
    return {
        "headcount": total("headcount"),
        "fte": total("fte"),
        "participants": total("participants"),
        "staff_trained": total("staff_trained"),
        "training_coverage": _ratio(total("staff_trained"), total("headcount_both")),
        "completed_hours": total("completed_hours"),
        "hours_per_employee": _ratio(total("hours_rostered"), total("headcount_both")),
        "closed_enrolments": total("closed_enrolments"),
        "completions": total("completions"),
        "completion_rate": _ratio(total("completions"), total("closed_enrolments")),
        "certifications": total("certifications"),
        "certification_rate": _ratio(total("certifications"), total("completions")),
        "mean_score_gain": _ratio(total("gain_sum"), total("gain_n")),
        "female_coverage": female,
        "male_coverage": male,
        "gender_parity_index": _ratio(female, male) if female is not None else None,
        "ciess_hours_share": _ratio(total("ciess_hours"), total("completed_hours")),
    }


def _same(expected, actual) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)


def _rows(path, kind: str, period: Period) -> pd.DataFrame:
    return validate_file(path, load_contract(kind), period, keep_rows=True).typed.to_pandas()


def test_marts_match_an_independent_computation_from_the_submitted_files(sample, tmp_path):
    ciess = copy_home(sample.home, tmp_path)  # every generated file submitted, then built
    current = sample.current  # (institution, kind, period) -> the file of the newest accepted version

    parts = {}
    for code in SUBSET:
        for period in PERIODS:
            frames = {}
            for kind in ("staffing", "training"):
                path = current.get((code, kind, str(period)))
                frames[kind] = _rows(path, kind, period) if path else None
            parts[(code, str(period))] = _sums(frames["staffing"], frames["training"], period)

    marts = json.loads(ciess.run("query", "select * from capacity_by_institution", "--format", "json").stdout)
    by_institution = {(row["institution_code"], row["period"]): row for row in marts}
    compared = 0
    for key, part in parts.items():
        expected = _measures([part])
        for measure in MEASURES:
            assert _same(expected[measure], by_institution[key][measure]), (key, measure)
            compared += 1
    assert compared == len(SUBSET) * len(PERIODS) * len(MEASURES)

    registry = institutions()
    rows = json.loads(ciess.run("query", "select * from capacity_by_subregion", "--format", "json").stdout)
    for row in rows:
        members = [
            code
            for code, institution in registry.items()
            if institution.subregion_code == row["subregion_code"] and institution.expected_in(row["period"])
        ]
        group = [parts[(code, row["period"])] for code in members if (code, row["period"]) in parts]
        expected = _measures(group)
        reporting = sum(1 for part in group if "headcount" in part or "participants" in part)
        assert (row["institutions_expected"], row["institutions_reporting"]) == (len(members), reporting)
        for measure in MEASURES:
            assert _same(expected[measure], row[measure]), (row["subregion_code"], row["period"], measure)
