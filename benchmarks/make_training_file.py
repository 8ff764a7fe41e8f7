"""A large training file with the spec's columns (vectorised, seconds for millions of rows), with
a share of bad rows, for the intake benchmark. Usage: make_training_file.py ROWS PATH [BAD_SHARE]"""

from __future__ import annotations

import sys
from datetime import date, timedelta

import numpy as np
import polars as pl

from pipelines.contracts import load_contract


def training_frame(rows: int, bad_share: float = 0.005, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    contract = load_contract("training")
    codes = {column.name: list(column.codes) for column in contract.columns if column.codes}
    start = date(2026, 4, 1)
    start_days = rng.integers(0, 60, rows)
    length = rng.integers(0, 30, rows)
    status = rng.choice(["COMPLETED", "COMPLETED", "COMPLETED", "WITHDRAWN", "FAILED"], rows)
    completed = status == "COMPLETED"
    frame = pl.DataFrame(
        {
            "staff_id": [f"E{n:08d}" for n in rng.integers(0, rows // 2 + 1, rows)],
            "activity_code": [f"ACT-{n:05d}" for n in np.arange(rows) % 50_000],
            "activity_title": rng.choice(
                ["Valuación actuarial", "Gestão de riscos", "Customer service", "Financement"], rows
            ),
            "provider": rng.choice(codes["provider"], rows),
            "modality": rng.choice(codes["modality"], rows),
            "thematic_area": rng.choice(codes["thematic_area"], rows),
            "start_date": [(start + timedelta(days=int(d))).isoformat() for d in start_days],
            "end_date": [
                (start + timedelta(days=int(d + n))).isoformat() for d, n in zip(start_days, length, strict=True)
            ],
            "hours": np.round(rng.uniform(1, 120, rows), 1),
            "status": status,
            "pre_score": np.where(completed, np.round(rng.uniform(20, 70, rows), 1), np.nan),
            "post_score": np.where(completed, np.round(rng.uniform(60, 100, rows), 1), np.nan),
            "certified": np.where(completed & (rng.random(rows) < 0.4), "yes", "no"),
            "cost_local": np.round(rng.uniform(0, 5000, rows), 2),
        }
    ).with_columns(pl.col("pre_score", "post_score").fill_nan(None))
    # make the key unique, then spoil a share of the rows with one error each
    frame = frame.with_columns(activity_code=pl.format("ACT-{}", pl.int_range(pl.len())))
    bad = rng.random(rows) < bad_share
    kind = rng.integers(0, 4, rows)
    frame = frame.with_columns(
        modality=pl.when(pl.Series(bad & (kind == 0))).then(pl.lit("ONLINE")).otherwise(pl.col("modality")),
        hours=pl.when(pl.Series(bad & (kind == 1))).then(pl.lit(-3.0)).otherwise(pl.col("hours")),
        end_date=pl.when(pl.Series(bad & (kind == 2))).then(pl.lit("2026-03-01")).otherwise(pl.col("end_date")),
        staff_id=pl.when(pl.Series(bad & (kind == 3))).then(pl.lit(None)).otherwise(pl.col("staff_id")),
    )
    return frame


if __name__ == "__main__":
    rows, target = int(sys.argv[1]), sys.argv[2]
    training_frame(rows, float(sys.argv[3]) if len(sys.argv) > 3 else 0.005).write_csv(target)
