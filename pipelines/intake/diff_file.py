"""diff.csv: every row a resubmission added, removed or changed against the version before it, for the
reader's spreadsheet program (as issues.csv: UTF-8 with a BOM, CRLF, headers and words in the
receipt's language, `;` between fields where the decimal mark is a comma, no cell a spreadsheet
would run as a formula).

One line per added row and per removed row, one per changed column of a changed row: what changed,
the row in the new file, the row in the previous version, the key (the institution's own staff
identifier, from each version's staff_ids.parquet), the column by its label, the old and the new
value. Only the differing rows' values are read, from the two versions' lake files."""

from __future__ import annotations

import codecs
from pathlib import Path

import polars as pl

from pipelines.common.spreadsheet_safe import csv_separator, inert_text_columns
from pipelines.contract.model import Contract
from pipelines.intake.checking.version_diff import CHANGES, Differences, compared_columns, lake_key
from pipelines.intake.receipts import RECEIPT_TEXTS, column_label
from pipelines.intake.storing.staff_ids import identifier_columns, staff_ids_of

DIFF_FIELDS = ("change", "row", "previous_row", "column", "old_value", "new_value")


def diff_csv_headers(contract: Contract, lang: str) -> list[str]:
    said = {name: RECEIPT_TEXTS.say(f"diff_csv.{name}", lang) for name in DIFF_FIELDS}
    keys = [column_label(contract, name, lang) for name in contract.key]
    return [said["change"], said["row"], said["previous_row"], *keys, said["column"], said["old_value"],
            said["new_value"]]  # fmt: skip


def write_diff_csv(path: Path, differences: Differences, contract: Contract, lang: str, new_lake: Path,
                   new_ids: Path, previous_lake: Path, previous_ids: Path) -> None:  # fmt: skip
    """`differences` of the new version (`new_lake`, its staged lake file; `new_ids`, its clear
    identifiers) against the previous one (`previous_lake`, `previous_ids`)."""
    separator = csv_separator(lang)
    with open(path, "wb") as handle:
        handle.write(codecs.BOM_UTF8)
        handle.write((separator.join(diff_csv_headers(contract, lang)) + "\r\n").encode("utf-8"))
        if differences.rows.height:
            lines = _lines(differences, contract, lang, new_lake, new_ids, previous_lake, previous_ids)
            inert_text_columns(lines).write_csv(handle, include_header=False, separator=separator,
                                                line_terminator="\r\n")  # fmt: skip


def _lines(differences: Differences, contract: Contract, lang: str, new_lake: Path, new_ids: Path,
           previous_lake: Path, previous_ids: Path) -> pl.DataFrame:  # fmt: skip
    rows = differences.rows
    shown = [name for name in compared_columns(contract) if name in differences.counts.changed_by_column]
    key_in_lake = dict(zip(contract.key, lake_key(contract), strict=True))
    plain_key = [name for name in contract.key if key_in_lake[name] == name]  # in the lake as sent
    hidden_key = identifier_columns(contract)
    wanted = [*plain_key, *shown]
    new = _values(new_lake, rows.get_column("row"), wanted, new_ids, hidden_key, contract, lang)
    old = _values(previous_lake, rows.get_column("previous_row"), wanted, previous_ids, hidden_key, contract, lang)
    if old.get("_unknown"):  # a version accepted before staff_ids.parquet existed
        note = RECEIPT_TEXTS.say("diff_csv.id_not_kept", lang, version=differences.counts.previous_version)
        old["frame"] = old["frame"].with_columns(pl.lit(note).alias(name) for name in hidden_key)
    joined = rows.join(new["frame"].rename({"source_row": "row"}), on="row", how="left").join(
        old["frame"].rename({"source_row": "previous_row"}), on="previous_row", how="left", suffix="_old"
    )
    removed = pl.col("change") == "removed"
    words = {change: RECEIPT_TEXTS.say(f"diff_change.{change}", lang) for change in CHANGES}

    def cell(name: str, side: str) -> pl.Expr:  # the value of the line's column, on one side
        column = f"{name}_old" if side == "old" else name
        return pl.when(pl.col("column") == name).then(pl.col(column))

    old_value = pl.coalesce([cell(name, "old") for name in shown]) if shown else pl.lit(None, pl.String)
    new_value = pl.coalesce([cell(name, "new") for name in shown]) if shown else pl.lit(None, pl.String)
    return joined.select(
        pl.col("change").replace_strict(words, return_dtype=pl.String),
        "row",
        "previous_row",
        *(pl.when(removed).then(pl.col(f"{name}_old")).otherwise(pl.col(name)).alias(name) for name in contract.key),
        pl.col("column").replace({name: column_label(contract, name, lang) for name in shown}),
        old_value.alias("old_value"),
        new_value.alias("new_value"),
    )


def _values(lake: Path, rows: pl.Series, columns: list[str], ids: Path, hidden: list[str], contract: Contract,
            lang: str) -> dict:  # fmt: skip
    """`source_row`, the clear identifiers and `columns` as text, of `rows` of one version."""
    wanted = rows.drop_nulls().unique()
    picked = (
        pl.scan_parquet(lake)
        .filter(pl.col("source_row").is_in(wanted.implode()))
        .select("source_row", *(_as_text(name, contract, lang) for name in columns))
        .collect()
    )
    found = staff_ids_of(ids, wanted) if hidden else None
    if found is None:
        empty = picked.with_columns(pl.lit(None, pl.String).alias(name) for name in hidden)
        return {"frame": empty, "_unknown": bool(hidden)}
    found = found.rename({"row": "source_row"}).cast({name: pl.String for name in hidden})
    return {"frame": picked.join(found, on="source_row", how="left")}


def _as_text(name: str, contract: Contract, lang: str) -> pl.Expr:
    """A typed value as the reader's spreadsheet reads it: dates ISO, decimals with the language's mark."""
    text = pl.col(name).cast(pl.String)
    if contract.column(name).type == "decimal" and csv_separator(lang) == ";":
        text = text.str.replace(".", ",", literal=True)
    return text.alias(name)
