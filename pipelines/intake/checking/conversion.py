"""From a batch of cells to typed columns, keeping the text as sent for messages.

Each contract column becomes a typed polars column (String, Int64, Float64, Date, Boolean) beside
its text. A value that does not convert is VALUE_TYPE; an empty required value is VALUE_REQUIRED.
Types are converted here, before any rule looks at the values, so that one bad value never turns a
whole column into text (pandera's coerce=True would) and every rule sees typed values.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.contract.issues import ROW_ISSUE_SCHEMA, compact, no_row_issues
from pipelines.contract.model import Column, Contract, rule_catalog
from pipelines.intake.reading.cells import trimmed_text

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
    """Typed values; null where the text is empty or does not convert (see `conversion`)."""
    return conversion(text, column)[0]


def conversion(text: pl.Expr, column: Column) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, empty) of a cell as read, whose ends may still hold whitespace: the value is
    that of the trimmed cell, null where it is empty or does not convert.

    Each type has a fast path for the common spelling, tried on the cell as read (a code as
    listed, an ISO date, a plain number, a yes/no word as usually written: none has whitespace
    at its ends, so trimming would not change it); only the other cells are trimmed and go
    through the general conversion (`_rest` is null elsewhere, which costs little). `BatchPlan`
    skips that second part for a column whose fast path left no cell in a batch."""
    if column.type == "text":
        trimmed = trimmed_text(text)
        return pl.when(trimmed != "").then(trimmed), trimmed == ""
    return completed(fast_value(text, column), text, column)


def fast_value(text: pl.Expr, column: Column) -> pl.Expr:
    """The typed value of a cell spelled the common way (see `conversion`), null for any other cell;
    for a text column, the whole conversion."""
    if column.type == "text":
        return conversion(text, column)[0]
    if column.type == "code":
        fast = pl.when(one_of(text, column.codes)).then(text)
    elif column.type in ("integer", "decimal"):
        fast = _plain_number(text, column.type)
    elif column.type == "date":
        fast = text.str.to_date(DATE_FORMATS[0], strict=False)
    elif column.type == "boolean":
        true, false = list(rule_catalog().true_words), list(rule_catalog().false_words)
        fast = pl.when(text.is_in(_spellings(true))).then(True).when(text.is_in(_spellings(false))).then(False)
    else:
        raise ValueError(f"contract column {column.name} has unknown type {column.type!r}")
    return fast.cast(DTYPES[column.type])


def completed(fast: pl.Expr, text: pl.Expr, column: Column) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, empty) from `fast_value` and the cell: the cells the fast path left (`_rest`,
    null elsewhere) are trimmed and go through the general conversion."""
    rest = trimmed_text(_rest(text, fast.is_null() & (text != "")))
    general = pl.when(rest != "").then(_general(rest, column))
    empty = (text == "") | (rest == "").fill_null(False)
    return pl.coalesce([fast, general]).cast(DTYPES[column.type]), empty


_COMPARED_UP_TO = 8  # 3, 4 and 8 values: comparisons 2-3x cheaper than a look-up; 11 values: 2x dearer


def one_of(text: pl.Expr, values: list[str] | tuple[str, ...]) -> pl.Expr:
    """Whether each value is one of `values`: a few comparisons cost less than a hash look-up,
    more values (or none: no comparison to fold) are looked up."""
    if 0 < len(values) <= _COMPARED_UP_TO:
        return pl.any_horizontal(text == value for value in values)
    return text.is_in(list(values))


def _general(text: pl.Expr, column: Column) -> pl.Expr:
    """Every spelling the contract accepts, on trimmed cells."""
    kind = column.type
    if kind == "code":
        return _code_of(text, column)
    if kind in ("integer", "decimal"):
        return _spelled_number(text, kind)
    if kind == "date":
        return pl.coalesce([text.str.to_date(form, strict=False) for form in DATE_FORMATS])
    catalog = rule_catalog()
    true, false = list(catalog.true_words), list(catalog.false_words)
    lower = text.str.to_lowercase()
    folded = _folded(lower)
    return (
        pl.when(lower.is_in(true) | folded.is_in(true))
        .then(True)
        .when(lower.is_in(false) | folded.is_in(false))
        .then(False)
    )


def _code_of(text: pl.Expr, column: Column) -> pl.Expr:
    """The code a cell stands for, written as the code or as its label in any language, in any case,
    with or without accents and spaces (`Column.spellings`); any other text upper-cased (not a code:
    CODE_UNKNOWN names it as sent)."""
    if not column.spellings:
        return text.str.to_uppercase()
    spellings = column.spellings

    def look_up(cells: pl.Series) -> pl.Series:
        # on the distinct cells only: the column is null but where the fast path missed, and
        # folding every row of a batch (accents, punctuation) cost 0.4 s at 5M rows
        distinct = cells.drop_nulls().unique()
        if distinct.is_empty():
            return cells
        key = _folded(distinct).str.replace_all(r"[^a-z0-9]", "")
        codes = key.replace_strict(spellings, default=distinct.str.to_uppercase(), return_dtype=pl.String)
        return cells.replace_strict(distinct, codes, default=None, return_dtype=pl.String)

    return text.map_batches(look_up, return_dtype=pl.String, is_elementwise=True)  # cell by cell: a literal broadcasts


def _rest(text: pl.Expr, needed: pl.Expr) -> pl.Expr:
    return pl.when(needed).then(text)


def _spellings(words: list[str]) -> list[str]:
    """The words as people write them: yes, Yes, YES."""
    return sorted({form for word in words for form in (word, word.capitalize(), word.upper())})


def _plain_number(text: pl.Expr, kind: str) -> pl.Expr:
    """What polars parses as a plain number: for decimals, finite and without an exponent, which
    leaves only spellings the contract accepts."""
    if kind == "integer":
        return text.cast(pl.Int64, strict=False)
    plain = text.cast(pl.Float64, strict=False)
    return pl.when(plain.is_finite() & ~text.str.contains_any(["e", "E"])).then(plain)


def _spelled_number(text: pl.Expr, kind: str) -> pl.Expr:
    """A number as the contract spells it (no exponent, no 'inf'; a decimal comma is accepted)."""
    spelled = text.str.contains(_INTEGER if kind == "integer" else _DECIMAL)
    if kind == "integer":
        number = text.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    else:
        point = text.cast(pl.Float64, strict=False)
        comma = _rest(text, point.is_null()).str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
        number = pl.coalesce([point, comma])
    return pl.when(spelled).then(number)


class BatchPlan:
    """What is computed on every batch, in two polars steps (see `derive`): the typed columns
    (named like the contract's) from the cells (`c0`, `c1`... by position, ends not yet trimmed),
    `__kept` (the record is not blank) and one boolean flag column per (rule, column) check:
    VALUE_TYPE and VALUE_REQUIRED here, plus the row rules given (pipelines.intake.checking.validation.RowRules).
    Only the rows with a flag set come out, as issues quoting their cells."""

    def __init__(self, contract: Contract, positions: dict[str, int], checks: list[tuple[str, str, pl.Expr]]):
        self.contract = contract
        self._mapped = {f"c{position}" for position in positions.values()}
        self.text = {}  # each column's cells as sent (trimmed), "" when empty
        self._fast = []  # each mapped column's `fast_value`, named like the column, computed first
        self._missed = {}  # per column that has a general conversion: whether the fast path left a cell
        self._conversions = {}  # per column: (value, empty) when the fast path left no cell, and when it did
        conversion_flags = []
        for index, column in enumerate(contract.columns):
            mapped = column.name in positions
            given = pl.col(f"c{positions[column.name]}") if mapped else pl.lit("", pl.String)
            fast = pl.col(column.name)
            if not mapped:
                whole = conversion(given, column)
                self._conversions[column.name] = (whole, whole)
            elif column.type == "text":  # its fast value is its whole conversion
                self._fast.append(fast_value(given, column).alias(column.name))
                # null exactly when the trimmed cell is empty: readers hand cells over as "" when
                # empty, never null (a null cell would be empty here and not in `conversion`)
                self._conversions[column.name] = ((fast, fast.is_null()),) * 2
            else:
                self._fast.append(fast_value(given, column).alias(column.name))
                self._missed[column.name] = (fast.is_null() & (given != "")).any()
                self._conversions[column.name] = ((fast, given == ""), completed(fast, given, column))
            if column.type == "text" and column.default is None:
                self.text[column.name] = pl.col(column.name).fill_null("")  # the typed text is the trimmed cell
            else:
                self.text[column.name] = trimmed_text(given)
            if mapped:
                empty = pl.col(f"__empty{index}")
                conversion_flags.append(("VALUE_TYPE", column.name, ~empty & pl.col(column.name).is_null()))
                if column.required:
                    conversion_flags.append(("VALUE_REQUIRED", column.name, empty))
        self._empties = [f"__empty{i}" for i, c in enumerate(contract.columns) if c.name in positions]
        # a code the fast path converted is one of the listed codes: in a batch where it converted
        # every cell of such a column, CODE_UNKNOWN cannot be found there (a look-up per row saved)
        self._listed_when_fast = {
            c.name
            for c in contract.columns
            if c.type == "code" and c.codes and c.name in positions and c.default in (None, *c.codes)
        }
        self.flags = conversion_flags + list(checks)  # over the typed columns and the emptiness of cells
        self._flag_names = [f"__flag{i}" for i in range(len(self.flags))]
        severity = rule_catalog().severity
        self._error_flags = [
            name for name, (rule, _, _) in zip(self._flag_names, self.flags, strict=True) if severity(rule) == "error"
        ]

    def derive(self, cells: pl.LazyFrame) -> pl.LazyFrame:
        """`cells` with the typed columns, `__kept` and the flags added. The fast values are
        computed first (this collects the batch), so that the general conversion runs only for
        the columns where the fast path left a cell: on the others it would convert nothing, at
        the cost of the fast path again (measured)."""
        unmapped = [name for name in cells.collect_schema().names() if name != "row" and name not in self._mapped]
        fast = cells.with_columns(self._fast).collect()
        missed = fast.select(**self._missed).row(0, named=True) if self._missed else {}
        typed = []
        for index, column in enumerate(self.contract.columns):
            value, empty = self._conversions[column.name][bool(missed.get(column.name))]
            if column.default is not None:  # empty cells take the default; cells that do not convert stay null
                value = pl.when(empty).then(pl.lit(column.default, DTYPES[column.type])).otherwise(value)
            typed.extend([value.alias(column.name), empty.alias(f"__empty{index}")])
        kept = pl.any_horizontal(
            *(~pl.col(name) for name in self._empties), *(trimmed_text(pl.col(name)) != "" for name in unmapped)
        )
        derived = fast.lazy().with_columns(typed).with_columns(kept.alias("__kept"))
        flags = []
        for name, (rule, column, flag) in zip(self._flag_names, self.flags, strict=True):
            if rule == "CODE_UNKNOWN" and column in self._listed_when_fast and not missed.get(column):
                flag = pl.lit(False)
            flags.append(flag.alias(name))
        return derived.with_columns(flags)

    def rows(self, derived: pl.LazyFrame) -> pl.LazyFrame:
        """How many records are not blank."""
        return derived.select(pl.col("__kept").sum())

    def typed_rows(self, derived: pl.LazyFrame) -> pl.LazyFrame:
        """`row` and the contract's columns, typed, with `__kept` (see `kept_rows`)."""
        return derived.select("row", *(column.name for column in self.contract.columns), "__kept")

    @staticmethod
    def kept_rows(typed: pl.DataFrame) -> pl.DataFrame:
        """The rows of `typed_rows` that are not blank (filtering costs a copy: only when needed)."""
        kept = typed.get_column("__kept")
        return typed.drop("__kept") if kept.all() else typed.filter(kept).drop("__kept")

    def failing(self, derived: pl.LazyFrame) -> pl.LazyFrame:
        """The rows with a flag set: their flags and their cells as sent (for `issues`)."""
        if not self.flags:
            return derived.select("row").clear()
        text = (expr.alias(f"{_TEXT}{name}") for name, expr in self.text.items())
        failing = pl.col("__kept") & pl.any_horizontal(self._flag_names)
        return derived.filter(failing).select("row", *self._flag_names, *text, *self._dates)

    @property
    def _dates(self) -> list[pl.Expr]:
        """The typed dates of the failing rows (their flags typed them already), for `date_span`."""
        return [pl.col(c.name).alias(f"{_DATE}{c.name}") for c in self.contract.columns if c.type == "date"]

    def date_span(self, failing: pl.DataFrame, rule: str) -> tuple[int, date | None, date | None]:
        """How many of the failing rows have a flag of `rule` set, and the earliest and the latest
        of their dates; `failing` is given back without its dates by `without_dates`."""
        names = [name for name, (code, _, _) in zip(self._flag_names, self.flags, strict=True) if code == rule]
        dates = [name for name in failing.columns if name.startswith(_DATE)]
        if not names or not dates:
            return 0, None, None
        flagged = failing.filter(pl.any_horizontal(names))
        if flagged.is_empty():
            return 0, None, None
        first = flagged.select(pl.min_horizontal(pl.col(dates).min()).alias("first")).item()
        last = flagged.select(pl.max_horizontal(pl.col(dates).max()).alias("last")).item()
        return flagged.height, first, last

    @staticmethod
    def without_dates(failing: pl.DataFrame) -> pl.DataFrame:
        return failing.drop([name for name in failing.columns if name.startswith(_DATE)])

    def has_errors(self, failing: pl.DataFrame) -> bool:
        """Whether a flag of an error rule is set in `failing`."""
        return bool(self._error_flags) and failing.select(pl.any_horizontal(self._error_flags).any()).item()

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
_DATE = "__date:"  # the typed dates, in `failing` (see `date_span`)
