"""Row issues in row, column and rule order without one sort of them all.

Issues are found in file order a few thousand rows at a time, in three streams: worded from failing
rows, handed back while rows are staged, and the duplicate keys known only at the end. Each piece
is sorted on its own and each stream joined without a copy (a run); the runs are merged, as a
stream, on one integer: the row, then the rank of the column and rule. A sort of the whole took
four times the issues' own memory on a file whose every row is bad.
"""

from __future__ import annotations

from itertools import pairwise

import polars as pl

from pipelines.contract.issues import KEY_SEPARATOR, no_row_issues

ORDER = ["row", "column", "rule"]
_ORDER_KEY = "\x1forder"


def sorted_run(pieces: list[pl.DataFrame]) -> pl.DataFrame | None:
    """The pieces of one stream, each sorted and let go of as it is, joined; None when none has a row."""
    for i, piece in enumerate(pieces):
        pieces[i] = piece.sort(ORDER)
    kept = [piece for piece in pieces if piece.height]
    pieces.clear()
    if not kept:
        return None
    joined = pl.concat(kept, rechunk=False)
    follow = all(_key(earlier, -1) <= _key(later, 0) for earlier, later in pairwise(kept))
    return joined if follow else joined.sort(ORDER)  # a stream out of file order: still right, if costly


def merged(runs: list[pl.DataFrame]) -> pl.LazyFrame:
    """The runs as one query in order (streamed where it is written)."""
    if len(runs) <= 1:
        return runs[0].lazy() if runs else no_row_issues().lazy()
    pairs = sorted(set().union(*(_pairs(run) for run in runs)))
    pair = pl.concat_str(pl.col("column").fill_null(""), pl.col("rule"), separator=KEY_SEPARATOR)
    rank = pair.replace_strict({KEY_SEPARATOR.join(name): i for i, name in enumerate(pairs)}, return_dtype=pl.Int64)
    order = (pl.col("row").fill_null(0) * len(pairs) + rank).set_sorted().alias(_ORDER_KEY)
    plan = runs[0].lazy().with_columns(order)
    for run in runs[1:]:
        plan = plan.merge_sorted(run.lazy().with_columns(order), key=_ORDER_KEY)
    return plan.drop(_ORDER_KEY)


def _pairs(run: pl.DataFrame) -> set[tuple[str, str]]:
    """The run's (column, rule) pairs, a null column as "" (first, as the sort puts nulls)."""
    distinct = run.lazy().select(pl.col("column").fill_null(""), "rule").unique().collect(engine="streaming")
    return set(distinct.iter_rows())


def _key(piece: pl.DataFrame, index: int) -> tuple:
    row, column, rule = piece.select(ORDER).row(index)
    return row or 0, column or "", rule
