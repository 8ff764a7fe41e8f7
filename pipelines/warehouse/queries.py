"""Read-only SQL on the published marts (`ciess query`): every DuckDB type comes back as what it
holds, and an unknown table or column is answered with the names that exist.

The Python client gets some types wrong without a word (infinite timestamps come back as
9999-12-31, an interval's months as 30 days, a union loses its tag), so those columns are fetched
as DuckDB's own text, and nested ones also as DuckDB's JSON (`DuckText`); `pipelines.cli.output`
prints them.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field

import duckdb

from pipelines.common.settings import Settings
from pipelines.warehouse.databases import open_published


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    types: list[str] = field(default_factory=list)  # DuckDB's type of each column, e.g. "DECIMAL(38,10)"


@dataclass(frozen=True)
class DuckText:
    """A value that the Python client would change, as DuckDB itself writes it.

    The client gives infinite dates and timestamps as year 9999 or year 1, the months of an interval
    as 30 days, a union without its tag, nanoseconds cut to microseconds; so these come out of
    `query` as DuckDB's text (`text`: its CAST to VARCHAR, e.g. "infinity", "1 month 2 days",
    "[1, 2, NULL]") and, for nested values, its JSON (`json`: `to_json`, which may hold NaN and
    Infinity). `kind` says what the text is: "temporal" (DATE, TIMESTAMP...), "number" (BIGNUM),
    "nested" (LIST, ARRAY, STRUCT and unnamed STRUCT, MAP, UNION, JSON) or "text" (TIME, INTERVAL,
    GEOMETRY, any other type).
    """

    text: str
    kind: str
    json: str | None = None

    def __str__(self) -> str:
        return self.text


class UnknownName(Exception):
    """The SQL names a table or a column that the published database does not hold."""


class UnknownTable(UnknownName):
    """`table` does not exist; `marts` are the published marts, which the message lists."""

    def __init__(self, message: str, table: str, marts: list[str]):
        super().__init__(message)
        self.table, self.marts = table, marts


class UnknownColumn(UnknownName):
    """A column does not exist; `columns` are those of the table it was looked for in, when DuckDB's
    message names the table and that table is in the published database (else DuckDB's message,
    with its candidates, is kept)."""

    def __init__(self, message: str, columns: list[str]):
        super().__init__(message)
        self.columns = columns


# The types whose Python values are exactly DuckDB's (DuckDBPyType.id); the others come as DuckText.
_PYTHON_HOLDS = frozenset(
    {"boolean", "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger"}
    | {"ubigint", "uhugeint", "float", "double", "decimal", "varchar", "uuid", "blob", "enum", "bit", "null"}
)
_TEXT_KINDS = {"bignum": "number"} | dict.fromkeys(["list", "array", "struct", "tuple", "map", "union"], "nested")
_TEXT_KINDS |= dict.fromkeys(
    ["date", "timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns", "timestamp with time zone", "timestamptz_ns"],
    "temporal",
)


@dataclass(frozen=True)
class QueryLimits:
    """What one query may take: a query past them is stopped, with a message that says which limit."""

    seconds: float = 60.0
    memory: str = "2GB"  # DuckDB's memory_limit; nothing spills to disk (a read-only database)
    rows: int = 1_000_000  # rows brought back (the marts hold a few thousand per quarter)


class LimitExceeded(Exception):
    """A query went past one of its QueryLimits."""


def query(settings: Settings, sql: str, limits: QueryLimits = QueryLimits()) -> QueryResult:
    """Run SQL read-only against the published marts (never the build database).

    Raises UnknownTable or UnknownColumn (both UnknownName) when the SQL names a table or a column
    that does not exist, with a message that lists what does; LimitExceeded past `limits`; other
    SQL errors are DuckDB's (duckdb.Error)."""
    # analysts read the marts, not the file system; memory bounded, nothing written to disk
    config = {"enable_external_access": False, "memory_limit": limits.memory, "temp_directory": ""}
    with open_published(settings, config) as connection:
        connection.execute("use marts")
        timer = threading.Timer(limits.seconds, connection.interrupt)
        timer.start()
        try:
            return _run(connection, sql, limits.rows)
        except (duckdb.CatalogException, duckdb.BinderException) as error:
            unknown = _unknown_name(connection, sql, str(error))
            if unknown is None:
                raise
            raise unknown from error
        except duckdb.InterruptException as error:
            raise LimitExceeded(
                f"the query ran for more than {limits.seconds:g} seconds and was stopped; "
                "aggregate or filter more, or allow longer with --timeout"
            ) from error
        except duckdb.OutOfMemoryException as error:
            raise LimitExceeded(
                f"the query needed more than {limits.memory} of memory and was stopped; "
                "aggregate or filter more, or allow more with --memory"
            ) from error
        finally:
            timer.cancel()


def _run(connection: duckdb.DuckDBPyConnection, sql: str, max_rows: int) -> QueryResult:
    relation = _relation(connection, sql)  # statements that return no rows have run already and give None
    if relation is None:
        return QueryResult(columns=[], rows=[])
    columns, types = list(relation.columns), [str(t) for t in relation.types]
    kinds = [_kind(column_type) for column_type in relation.types]
    relation = relation.limit(max_rows + 1)  # (after the names: a limit would rename repeated ones)
    if not any(kinds):
        return QueryResult(columns=columns, rows=_at_most(relation.fetchall(), max_rows), types=types)
    expressions, picks = [], []  # per column: the index of its value, and of its JSON (or None)
    for position, kind in enumerate(kinds, start=1):
        picks.append((len(expressions), len(expressions) + 1 if kind == "nested" else None))
        expressions.append(f"#{position}" if kind is None else f"#{position}::varchar")
        if kind == "nested":
            expressions.append(f"to_json(#{position})::varchar")
    try:
        fetched = _at_most(relation.project(", ".join(expressions)).fetchall(), max_rows)
    except duckdb.Error as error:
        raise _pointing_into(connection, error) from error
    rows = [
        tuple(
            row[value] if kind is None or row[value] is None else DuckText(row[value], kind, row[js] if js else None)
            for kind, (value, js) in zip(kinds, picks, strict=True)
        )
        for row in fetched
    ]
    return QueryResult(columns=columns, rows=rows, types=types)


def _at_most(rows: list[tuple], max_rows: int) -> list[tuple]:
    """`rows`, fetched at most `max_rows` + 1 at a time: one more than allowed is refused."""
    if len(rows) > max_rows:
        raise LimitExceeded(
            f"the result has more than {max_rows:,} rows; aggregate, filter or add a LIMIT, "
            "or allow more with --max-rows"
        )
    return rows


def _relation(connection: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyRelation | None:
    try:
        return connection.sql(sql)
    except duckdb.ParserException:
        raise
    except duckdb.Error:
        # sql() leaves out DuckDB's pointer into the SQL ("LINE 1: ..."), execute() gives it: a
        # statement that failed fails again, and runs nothing (kept to one statement, whose
        # failure leaves nothing behind).
        if len(connection.extract_statements(sql)) == 1:
            cursor = connection.execute(sql)
            if cursor is not None:
                cursor.fetchall()
        raise


def _pointing_into(connection: duckdb.DuckDBPyConnection, error: duckdb.Error) -> duckdb.Error:
    """The error with its "LINE n:" counted in the user's SQL: DuckDB counts it in the query that
    wraps the SQL in the projection above, a few lines longer (measured, not assumed)."""
    message, found = str(error), re.search(r"^LINE (\d+): ", str(error), re.MULTILINE)
    if not found:
        return error
    try:
        connection.sql("select 'x'::integer").project("#1").fetchall()
        return error
    except duckdb.Error as probe:
        measured = re.search(r"^LINE (\d+): ", str(probe), re.MULTILINE)
    shift = int(measured.group(1)) - 1 if measured else 0
    line = int(found.group(1)) - shift
    if shift <= 0 or line < 1:
        return error
    old, new = found.group(0), f"LINE {line}: "
    head, tail = message[: found.start()], message[found.end() :]
    text, newline, rest = tail.partition("\n")
    narrower = len(old) - len(new)  # the caret line below is aligned under the text after "LINE n: "
    rest = rest[narrower:] if narrower > 0 and rest.startswith(" " * narrower) else " " * -narrower + rest
    return type(error)(head + new + text + newline + rest)


def _kind(column_type: duckdb.sqltypes.DuckDBPyType) -> str | None:
    """None when the Python value is exact, else the DuckText kind."""
    if str(column_type) == "JSON":
        return "nested"
    if column_type.id in _PYTHON_HOLDS:
        return None
    return _TEXT_KINDS.get(column_type.id, "text")


def _unknown_name(connection: duckdb.DuckDBPyConnection, sql: str, message: str) -> UnknownName | None:
    """The plain-words error for a table or a column that does not exist, or None for other errors."""
    first, _, rest = message.partition("\n")
    where = rest[rest.index("LINE ") :] if "LINE " in rest else ""  # DuckDB's pointer into the SQL
    table = re.match(r'Catalog Error: Table with name (?:"(.+?)"|(.+?)) does not exist', first)
    if table:
        name = table.group(1) or table.group(2)
        schema = re.search(r'because schema "(.+)" does not exist', first)
        marts = _marts(connection)
        hint = re.search(r'Did you mean "(.+)"\?', rest)
        words = f'table "{name}" does not exist' + (f' (there is no schema "{schema.group(1)}")' if schema else "")
        if hint and hint.group(1) in marts:
            words += f'. Did you mean "{hint.group(1)}"?'
        words += (
            f"\nThe published marts (schema marts, the default) are: {', '.join(marts)}."
            if marts
            else "\nNo marts are published."
        )
        return UnknownTable(words + (f"\n\n{where}" if where else ""), name, marts)
    column = re.match(r'Binder Error: (\w[\w ]*) "(.+?)" does not have a column named "(.+)"', first)
    if column:
        noun, named, missing = column.groups()
        table_name, schema_name = _table_named(connection, sql, named) if noun == "Table" else (None, "")
        columns = _columns(connection, schema_name, table_name) if table_name else []
        if columns:
            words = f'column "{missing}" does not exist in table "{table_name}"'
            if table_name.lower() != named.lower():
                words += f' ("{named}" in the query)'
            words += f". Its columns are: {', '.join(columns)}."
            return UnknownColumn(words + (f"\n\n{where}" if where else ""), columns)
        return UnknownColumn(message.strip(), [])
    if re.match(r'Binder Error: Referenced column "(.+)" (not found|was not found)', first):
        return UnknownColumn(message.strip(), [])
    return None


def _marts(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """What the user can query: the tables and views of schema marts in the published database."""
    return [
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' and table_catalog = current_database() order by table_name"
        ).fetchall()
    ]


def _columns(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns where table_catalog = current_database() "
            "and lower(table_schema) = lower(?) and lower(table_name) = lower(?) order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def _table_named(connection: duckdb.DuckDBPyConnection, sql: str, name: str) -> tuple[str | None, str]:
    """The table (and its schema) that `name`, a table or an alias in DuckDB's message, stands for
    in the SQL; (None, "") when it is a common table expression, a subquery or not found."""
    try:
        (tree,) = connection.execute("select json_serialize_sql(?)", [sql]).fetchall()[0]
        tree = json.loads(tree)
    except (duckdb.Error, ValueError):
        return None, ""
    tables, ctes = [], set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE":
                tables.append(node)
            ctes.update(entry.get("key", "").lower() for entry in (node.get("cte_map") or {}).get("map", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    for table in tables:
        alias, table_name = (table.get("alias") or "").lower(), table.get("table_name", "")
        if alias == name.lower() or (not alias and table_name.lower() == name.lower()):
            schema = table.get("schema_name") or "marts"
            if table.get("schema_name") or table_name.lower() not in ctes:
                return table_name, schema
    return None, ""
