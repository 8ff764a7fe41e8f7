"""From a batch of cells to typed columns, keeping the text as sent for messages.

Each contract column becomes a typed polars column (String, Int64, Float64, Date, Boolean) beside
its text. A value that does not convert is VALUE_TYPE; an empty required value is VALUE_REQUIRED.
Types are converted here, before any rule looks at the values, so that one bad value never turns a
whole column into text (pandera's coerce=True would) and every rule sees typed values.
"""

from __future__ import annotations

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
        true, false = list(catalog.true_words), list(catalog.false_words)
        as_written = pl.when(text.is_in(_spellings(true))).then(True).when(text.is_in(_spellings(false))).then(False)
        lower = _rest(text, as_written.is_null()).str.to_lowercase()
        folded = _folded(lower)
        general = (
            pl.when(lower.is_in(true) | folded.is_in(true))
            .then(True)
            .when(lower.is_in(false) | folded.is_in(false))
            .then(False)
        )
        typed = pl.coalesce([as_written, general])
    else:
        raise ValueError(f"contract column {column.name} has unknown type {column.type!r}")
    return pl.when(~empty).then(typed).cast(DTYPES[column.type])


def _rest(text: pl.Expr, needed: pl.Expr) -> pl.Expr:
    return pl.when(needed).then(text)


def _spellings(words: list[str]) -> list[str]:
    """The words as people write them: yes, Yes, YES."""
    return sorted({form for word in words for form in (word, word.capitalize(), word.upper())})


def _number(text: pl.Expr, kind: str) -> pl.Expr:
    """A number as the contract spells it (no exponent, no 'inf'; a decimal comma is accepted).
    Fast path: what polars parses as a plain number (for decimals, finite and without an
    exponent, which leaves only the contract's spellings); the rest goes through the pattern."""
    if kind == "integer":
        plain = text.cast(pl.Int64, strict=False)
    else:
        plain = text.cast(pl.Float64, strict=False)
        plain = pl.when(plain.is_finite() & ~text.str.contains_any(["e", "E"])).then(plain)
    rest = _rest(text, plain.is_null())
    spelled = rest.str.contains(_INTEGER if kind == "integer" else _DECIMAL)
    if kind == "integer":
        number = rest.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    else:
        point = rest.cast(pl.Float64, strict=False)
        comma = _rest(rest, point.is_null()).str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
        number = pl.coalesce([point, comma])
    return pl.coalesce([plain, pl.when(spelled).then(number)])


class BatchPlan:
    """What is computed on every batch, as one polars plan run while the batch is read: the typed
    columns (named like the contract's) from the cells (`c0`, `c1`... by position), and one
    boolean flag column per (rule, column) check: VALUE_TYPE and VALUE_REQUIRED here, plus the
    row rules given (pipelines.validation.RowRules). Only the rows with a flag set come out, as
    issues quoting their cells."""

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
        self._flag_names = [f"__flag{i}" for i in range(len(self.flags))]

    def derive(self, cells: pl.LazyFrame) -> pl.LazyFrame:
        """`cells` with the typed columns and the flags added."""
        typed = cells.with_columns(self.typed)
        flags = (flag.alias(name) for name, (_, _, flag) in zip(self._flag_names, self.flags, strict=True))
        return typed.with_columns(flags)

    def typed_rows(self, derived: pl.LazyFrame) -> pl.LazyFrame:
        """`row` and the contract's columns, typed."""
        return derived.select("row", *(column.name for column in self.contract.columns))

    def failing(self, derived: pl.LazyFrame) -> pl.LazyFrame:
        """The rows with a flag set: their flags and their cells as sent (for `issues`)."""
        if not self.flags:
            return derived.select("row").clear()
        text = (expr.alias(f"{_TEXT}{name}") for name, expr in self.text.items())
        return derived.filter(pl.any_horizontal(self._flag_names)).select("row", *self._flag_names, *text)

    def issues(self, failing: pl.DataFrame) -> pl.DataFrame:
        """ROW_ISSUE_SCHEMA: one issue per flag set in `failing`, quoting the cell as sent."""
        if failing.is_empty():
            return no_row_issues()
        checks = pl.DataFrame(
            {
                "flag": self._flag_names,
                "rule": [rule for rule, _, _ in self.flags],
                "column": [column for _, column, _ in self.flags],
            }
        )
        flagged = (
            failing.unpivot(index="row", on=self._flag_names, variable_name="flag", value_name="set")
            .filter(pl.col("set"))
            .join(checks, on="flag")
        )
        text = failing.select("row", *(f"{_TEXT}{name}" for name in self.text)).unpivot(
            index="row", variable_name="column", value_name="value"
        )
        text = text.with_columns(pl.col("column").str.strip_prefix(_TEXT))
        issues = flagged.join(text, on=["row", "column"], how="left").select(
            "row", "rule", "column", "value", pl.lit(None, pl.Int64).alias("first_row")
        )
        return compact(issues.cast(ROW_ISSUE_SCHEMA).unique(subset=["row", "rule", "column"], keep="first"))


_TEXT = "__text:"  # the cells as sent, in `failing`
