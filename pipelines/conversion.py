"""From a batch of cells to typed columns, keeping the text as sent for messages.

Each contract column becomes a typed polars column (String, Int64, Float64, Date, Boolean) beside
its text. A value that does not convert is VALUE_TYPE; an empty required value is VALUE_REQUIRED.
Types are converted here, before any rule looks at the values, so that one bad value never turns a
whole column into text (pandera's coerce=True would) and every rule sees typed values.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.contracts import Column, Contract, rule_catalog
from pipelines.issues import ROW_ISSUE_SCHEMA, compact, no_row_issues

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
_INTEGER = r"^[+-]?\d+(?:\.0+)?$"
_DECIMAL = r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$"
DTYPES = {
    "text": pl.String,
    "code": pl.String,
    "integer": pl.Int64,
    "decimal": pl.Float64,
    "date": pl.Date,
    "boolean": pl.Boolean,
}


@dataclass
class TypedBatch:
    typed: pl.DataFrame  # `row` and the contract's columns, typed
    text: pl.DataFrame  # `row` and the same cells as text, as sent ("" when empty)
    issues: pl.DataFrame  # VALUE_REQUIRED and VALUE_TYPE, ROW_ISSUE_SCHEMA


def _folded(text: pl.Expr) -> pl.Expr:
    """Lower case without accents ("Sí" -> "si")."""
    return text.str.normalize("NFKD").str.replace_all(r"[^\x00-\x7F]", "").str.to_lowercase()


def typed_expression(text: pl.Expr, column: Column) -> pl.Expr:
    """Typed values; null where the text is empty or does not convert.

    Each type has a fast path for the common spelling (a code as listed, an ISO date, a number
    with a decimal point, a lower-case yes/no word); the general conversion runs only on the rest
    (`_rest` is null elsewhere, which costs nothing), and gives the same value the fast path would.
    """
    empty = text == ""
    if column.type == "text":
        typed = text
    elif column.type == "code":
        listed = text.is_in(list(column.codes))
        typed = pl.when(listed).then(text).otherwise(_rest(text, ~listed).str.to_uppercase())
    elif column.type in ("integer", "decimal"):
        typed = _number(text, column.type)
    elif column.type == "date":
        iso = text.str.to_date(DATE_FORMATS[0], strict=False)
        rest = _rest(text, iso.is_null())
        typed = pl.coalesce([iso, *(rest.str.to_date(form, strict=False) for form in DATE_FORMATS[1:])])
    elif column.type == "boolean":
        catalog = rule_catalog()
        lower = text.str.to_lowercase()
        true, false = list(catalog.true_words), list(catalog.false_words)
        folded = _folded(_rest(text, ~lower.is_in(true + false)))
        typed = (
            pl.when(lower.is_in(true) | folded.is_in(true))
            .then(True)
            .when(lower.is_in(false) | folded.is_in(false))
            .then(False)
        )
    else:
        raise ValueError(f"contract column {column.name} has unknown type {column.type!r}")
    return pl.when(~empty).then(typed).cast(DTYPES[column.type])


def _rest(text: pl.Expr, needed: pl.Expr) -> pl.Expr:
    return pl.when(needed).then(text)


def _number(text: pl.Expr, kind: str) -> pl.Expr:
    """A number as the contract spells it (no exponent, no 'inf'; a decimal comma is accepted)."""
    spelled = text.str.contains(_INTEGER if kind == "integer" else _DECIMAL)
    if kind == "integer":
        number = text.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    else:
        plain = text.cast(pl.Float64, strict=False)
        comma = _rest(text, plain.is_null()).str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
        number = pl.coalesce([plain, comma])
    return pl.when(spelled).then(number)


class BatchPlan:
    """What is computed on every batch, as polars expressions evaluated while the file is read:
    the typed columns (named like the contract's) from the cells (`c0`, `c1`... by position), and
    one boolean flag column per (rule, column) check: VALUE_TYPE and VALUE_REQUIRED here, plus the
    row rules given (pipelines.validation.RowRules)."""

    def __init__(self, contract: Contract, positions: dict[str, int], checks: list[tuple[str, str, pl.Expr]]):
        self.contract = contract
        self.text = {
            c.name: pl.col(f"c{positions[c.name]}") if c.name in positions else pl.lit("", pl.String)
            for c in contract.columns
        }
        self.typed = []
        conversion = []
        for column in contract.columns:
            given = self.text[column.name]
            value = typed_expression(given, column)
            if column.default is not None:  # empty cells take the default; cells that do not convert stay null
                value = pl.when(given == "").then(pl.lit(column.default, DTYPES[column.type])).otherwise(value)
            self.typed.append(value.alias(column.name))
            if column.name in positions:
                conversion.append(("VALUE_TYPE", column.name, (given != "") & pl.col(column.name).is_null()))
                if column.required:
                    conversion.append(("VALUE_REQUIRED", column.name, given == ""))
        self.flags = conversion + list(checks)  # over the typed columns (and the cells, for VALUE_TYPE)

    def derive(self, cells):
        """`cells` (a DataFrame or a LazyFrame) with the typed columns and the flags added."""
        typed = cells.with_columns(self.typed)
        return typed.with_columns(flag.alias(f"__flag{i}") for i, (_, _, flag) in enumerate(self.flags))

    def split(self, derived: pl.DataFrame) -> TypedBatch:
        text = derived.select("row", *(expr.alias(name) for name, expr in self.text.items()))
        typed = derived.select("row", *(column.name for column in self.contract.columns))
        issues = flagged_issues(derived, text, self.flags).unique(subset=["row", "rule", "column"], keep="first")
        return TypedBatch(typed=typed, text=text, issues=issues)


def flagged_issues(checked: pl.DataFrame, text: pl.DataFrame, flags: list[tuple]) -> pl.DataFrame:
    """Issues from boolean columns `__flag<i>` of `checked` (one per (rule, column, _) of `flags`),
    quoting the cell as sent from `text`."""
    if not flags:
        return no_row_issues()
    names = [f"__flag{i}" for i in range(len(flags))]
    failing = checked.select("row", *names).filter(pl.any_horizontal(names))
    if failing.is_empty():
        return no_row_issues()
    failing = failing.join(text, on="row", how="left")
    found = [
        failing.filter(pl.col(name)).select(
            "row",
            pl.lit(rule).alias("rule"),
            pl.lit(column).alias("column"),
            pl.col(column).alias("value"),
            pl.lit(None, pl.Int64).alias("first_row"),
        )
        for name, (rule, column, _) in zip(names, flags, strict=True)
    ]
    return compact(pl.concat(found).cast(ROW_ISSUE_SCHEMA))
