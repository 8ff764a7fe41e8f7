"""Large benchmark files with the spec's columns, vectorised (seconds for millions of rows):
a training file with a share of bad rows (one error each: unknown code, negative hours, end before
start, missing staff, a key repeated from an earlier row) and the roster its staff belong to.

    make_training_file.py ROWS TRAINING.csv [--bad-share 0.005] [--roster ROSTER.csv]
"""

from __future__ import annotations

import argparse
from datetime import date

import numpy as np
import polars as pl

from pipelines.contract.model import load_contract

START = date(2026, 4, 1)  # the benchmark's period is 2026-Q2


def staff_pool(rows: int) -> int:
    """Distinct staff in a training file: about ten participations each, at most 500,000 staff."""
    return max(100, min(rows // 10, 500_000))


def staff_ids(numbers: pl.Expr) -> pl.Expr:
    return pl.format("E{}", numbers.cast(pl.String).str.zfill(8))


def training_frame(rows: int, bad_share: float = 0.005, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    contract = load_contract("training")
    codes = {column.name: list(column.codes) for column in contract.columns if column.codes}

    def pick(values: list[str]) -> pl.Series:
        return pl.Series(values).gather(rng.integers(0, len(values), rows))

    status = pl.Series(["COMPLETED", "COMPLETED", "COMPLETED", "WITHDRAWN", "FAILED"]).gather(rng.integers(0, 5, rows))
    completed = (status == "COMPLETED").to_numpy()
    start = pl.lit(START) + pl.duration(days=pl.Series(rng.integers(0, 60, rows)))
    frame = pl.DataFrame(
        {
            "staff_number": rng.integers(0, staff_pool(rows), rows),
            "activity_title": pick(["Valuación actuarial", "Gestão de riscos", "Customer service", "Financement"]),
            "provider": pick(codes["provider"]),
            "modality": pick(codes["modality"]),
            "thematic_area": pick(codes["thematic_area"]),
            "length": rng.integers(0, 30, rows),
            "hours": np.round(rng.uniform(1, 120, rows), 1),
            "status": status,
            "pre_score": np.where(completed, np.round(rng.uniform(20, 70, rows), 1), np.nan),
            "post_score": np.where(completed, np.round(rng.uniform(60, 100, rows), 1), np.nan),
            "certified": np.where(completed & (rng.random(rows) < 0.4), "yes", "no"),
            "cost_local": np.round(rng.uniform(0, 5000, rows), 2),
            "bad": rng.random(rows) < bad_share,
            "kind": rng.integers(0, 5, rows),
        }
    ).with_columns(start_date=start, activity_code=pl.format("ACT-{}", pl.int_range(pl.len())))
    bad = pl.col("bad")
    frame = frame.with_columns(
        staff_id=pl.when(bad & (pl.col("kind") == 3)).then(None).otherwise(staff_ids(pl.col("staff_number"))),
        end_date=pl.when(bad & (pl.col("kind") == 2))
        .then(pl.lit(date(2026, 3, 1)))
        .otherwise(pl.col("start_date") + pl.duration(days=pl.col("length"))),
        modality=pl.when(bad & (pl.col("kind") == 0)).then(pl.lit("ONLINE")).otherwise(pl.col("modality")),
        hours=pl.when(bad & (pl.col("kind") == 1)).then(-3.0).otherwise(pl.col("hours")),
        pre_score=pl.col("pre_score").fill_nan(None),
        post_score=pl.col("post_score").fill_nan(None),
        # a repeated key: the activity and start of the row 1,000 rows earlier, same staff
        activity_code=pl.when(bad & (pl.col("kind") == 4) & (pl.int_range(pl.len()) >= 1000))
        .then(pl.col("activity_code").shift(1000))
        .otherwise(pl.col("activity_code")),
    )
    frame = frame.with_columns(
        pl.when(bad & (pl.col("kind") == 4) & (pl.int_range(pl.len()) >= 1000))
        .then(pl.col(name).shift(1000))
        .otherwise(pl.col(name))
        .alias(name)
        for name in ("staff_id", "start_date", "end_date")
    )
    return frame.select(column.name for column in contract.columns)


def roster_frame(rows: int, seed: int = 11) -> pl.DataFrame:
    """Every staff member a training file of `rows` rows can name."""
    rng = np.random.default_rng(seed)
    staff = staff_pool(rows)
    contract = load_contract("staffing")
    codes = {column.name: list(column.codes) for column in contract.columns if column.codes}
    columns = {"staff_id": pl.int_range(staff, eager=True).to_frame("n").select(staff_ids(pl.col("n"))).to_series()}
    for column in contract.columns:
        if column.name in columns:
            continue
        if column.codes:
            columns[column.name] = pl.Series(codes[column.name]).gather(rng.integers(0, len(column.codes), staff))
        elif column.name == "birth_year":
            columns[column.name] = pl.Series(rng.integers(1960, 2000, staff))
        elif column.type == "date":
            columns[column.name] = pl.Series([date(2015, 1, 1)] * staff)
        elif column.type == "decimal":
            columns[column.name] = pl.Series(np.ones(staff))
        elif column.required:
            raise ValueError(f"the roster generator does not know how to fill {column.name}")
    return pl.DataFrame(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int)
    parser.add_argument("training")
    parser.add_argument("--bad-share", type=float, default=0.005)
    parser.add_argument("--roster", help="also write the roster of the file's staff here")
    args = parser.parse_args()
    training_frame(args.rows, args.bad_share).write_csv(args.training)
    if args.roster:
        roster_frame(args.rows).write_csv(args.roster)


if __name__ == "__main__":
    main()
