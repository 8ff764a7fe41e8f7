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
from pipelines.intake.checking.version_diff import CHANGES, LINE_FIELDS, Differences, compared_columns, lake_key
from pipelines.intake.receipts import RECEIPT_TEXTS, column_label
from pipelines.intake.storing.staff_ids import identifier_columns, staff_ids_of

DIFF_FIELDS = LINE_FIELDS


def diff_csv_headers(contract: Contract, lang: str) -> list[str]:
    said = {name: RECEIPT_TEXTS.say(f"diff_csv.{name}", lang) for name in DIFF_FIELDS}
    keys = [column_label(contract, name, lang) for name in contract.key]
    return [said["change"], said["row"], said["previous_row"], *keys, said["column"], said["old_value"],
            said["new_value"]]  # fmt: skip


def write_diff_csv(path: Path, differences: Differences, contract: Contract, lang: str, new_ids: Path,
                   previous_ids: Path) -> None:  # fmt: skip
    """`differences` of the new version, its staff identifiers at `new_ids` and the previous
    version's at `previous_ids` (pipelines.intake.storing.staff_ids)."""
    separator = csv_separator(lang)
    with open(path, "wb") as handle:
        handle.write(codecs.BOM_UTF8)
        handle.write((separator.join(diff_csv_headers(contract, lang)) + "\r\n").encode("utf-8"))
        if differences.lines.height:
            lines = _worded(differences, contract, lang, new_ids, previous_ids)
            inert_text_columns(lines).write_csv(handle, include_header=False, separator=separator,
                                                line_terminator="\r\n")  # fmt: skip


def _worded(differences: Differences, contract: Contract, lang: str, new_ids: Path, previous_ids: Path) -> pl.DataFrame:
    """The lines in the reader's words: the change, the clear key, the column's label, decimals with
    the language's mark."""
    lines = differences.lines
    hidden = identifier_columns(contract)
    lake_names = dict(zip(contract.key, lake_key(contract), strict=True))
    removed = pl.col("change") == "removed"
    ids = {name: pl.String for name in hidden}
    new = staff_ids_of(new_ids, lines.filter(~removed).get_column("row"))
    new = pl.DataFrame(schema={"row": pl.Int64, **ids}) if new is None else new.cast(ids)
    old = staff_ids_of(previous_ids, lines.filter(removed).get_column("previous_row"))
    if old is None:  # a version accepted before staff_ids.parquet was kept: the previous row says which
        note = RECEIPT_TEXTS.say("diff_csv.id_not_kept", lang, version=differences.counts.previous_version)
        lines = lines.with_columns(pl.lit(note).alias(f"{name}_old") for name in hidden)
    else:
        old = old.cast(ids).rename({"row": "previous_row", **{name: f"{name}_old" for name in hidden}})
        lines = lines.join(old, on="previous_row", how="left")
    lines = lines.join(new, on="row", how="left")
    words = {change: RECEIPT_TEXTS.say(f"diff_change.{change}", lang) for change in CHANGES}
    decimals = [column.name for column in contract.columns if column.type == "decimal"]
    value = lambda name: (  # noqa: E731
        pl.when(pl.col("column").is_in(decimals)).then(pl.col(name).str.replace(".", ",", literal=True))
        .otherwise(pl.col(name)) if csv_separator(lang) == ";" else pl.col(name)
    )  # fmt: skip
    key = [
        pl.when(removed).then(pl.col(f"{name}_old")).otherwise(pl.col(name)).alias(name) if name in hidden
        else pl.col(lake_names[name])
        for name in contract.key
    ]  # fmt: skip
    return lines.select(
        pl.col("change").replace_strict(words, return_dtype=pl.String),
        "row",
        "previous_row",
        *key,
        pl.col("column").replace({name: column_label(contract, name, lang) for name in compared_columns(contract)}),
        value("old_value"),
        value("new_value"),
    )
