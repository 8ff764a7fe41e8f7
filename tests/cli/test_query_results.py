"""`ciess query` prints every DuckDB type in every format, and names what exists when the SQL names
a table or a column that does not.

A tiny published database (the file `ciess query` reads, schema marts) is written with duckdb
directly, without a warehouse build; the real command runs on it through click's CliRunner.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from decimal import Decimal

import duckdb
import pytest

from pipelines.common.settings import Settings
from pipelines.warehouse.databases import published_database
from tests.conftest import Ciess

FORMATS = ["table", "csv", "json"]
MARTS = ["capacity_americas", "registry_subregions", "training_by_theme"]


@pytest.fixture
def published(tmp_path) -> Ciess:
    ciess = Ciess(tmp_path / "home")
    database = published_database(Settings.from_env(ciess.home))
    database.parent.mkdir(parents=True)
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.capacity_americas as select * from (values "
            "('2026-Q1', 40::bigint, 0.8333333333333334::double, null::double, timestamp '2026-05-02 10:00:00'), "
            "('2026-Q2', 41, 0.5, 0.25, null)) t(period, institutions_expected, training_coverage, "
            "completion_rate, first_received_at)"
        )
        connection.execute("create table marts.registry_subregions as select 'CAR' subregion_code, 'Caribe' as name")
        connection.execute("create view marts.training_by_theme as select 'ICT' theme, 12.5::double as hours")
        connection.execute("create table main.not_a_mart as select 1 x")  # published, but not a mart
    return ciess


def _strict(text: str):
    """Python's json.loads, refusing NaN and Infinity, which RFC 8259 leaves out."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse, parse_float=Decimal)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# every type


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_duckdb_type_prints_in_every_format(published, output_format):
    result = published.run("query", "select * from test_all_types()", "--format", output_format)
    assert result.exit_code == 0, result.output
    with duckdb.connect() as connection:
        columns = [d[0] for d in connection.execute("select * from test_all_types() limit 0").description]
    if output_format == "json":
        rows = _strict(result.stdout)
        assert len(rows) == 3 and list(rows[0]) == columns
        assert all(value is None for value in rows[2].values())  # the row of NULLs
    elif output_format == "csv":
        rows = _csv(result.stdout)
        assert rows[0] == columns and len(rows) == 4
        assert all(len(row) == len(columns) for row in rows)  # one cell per value
        assert rows[3] == [""] * len(columns)
    else:
        assert result.stdout.rstrip().endswith("(3 rows)")
        assert "Traceback" not in result.output


def test_the_json_of_every_type_keeps_each_value(published):
    result = published.run("query", "select * from test_all_types()", "--format", "json")
    low, high, _ = _strict(result.stdout)
    assert high["hugeint"] == 170141183460469231731687303715884105727
    assert low["hugeint"] == -170141183460469231731687303715884105728
    assert high["uhugeint"] == 340282366920938463463374607431768211455
    assert high["ubigint"] == 18446744073709551615
    assert high["dec38_10"] == Decimal("9999999999999999999999999999.9999999999")  # every digit
    assert '"dec38_10":9999999999999999999999999999.9999999999' in result.stdout  # a number, not a string
    assert str(high["bignum"]).startswith("179769313486231570814527423731704356798070567525844996598917")
    assert base64.b64decode(high["blob"]) == b"\x00\x00\x00a"
    assert base64.b64decode(low["blob"]) == b"thisisalongblob\x00withnullbytes"
    assert high["double_array"] == [Decimal("42.0"), None, None, None, None, Decimal("-42.0")]  # nan, inf, -inf, NULL
    assert high["date_array"] == ["1970-01-01", "infinity", "-infinity", None, "2022-05-12"]
    assert high["struct"] == {"a": 42, "b": "🦆🦆🦆🦆🦆🦆"}
    assert high["map"] == {"key1": "🦆🦆🦆🦆🦆🦆", "key2": "goose"}
    assert (low["union"], high["union"]) == ({"name": "Frank"}, {"age": 5})
    assert high["fixed_nested_int_array"] == [[4, 5, 6], [None, 2, 3], [4, 5, 6]]
    assert high["interval"] == "83 years 3 months 999 days 00:16:39.999999"  # months stay months
    assert high["timestamp_ns"] == "2262-04-11T23:47:16.854775806"  # nanoseconds kept
    assert high["timestamp_tz"] == "294247-01-10 04:00:54.775806+00"  # beyond ISO's years: DuckDB's text
    assert high["uuid"] == "ffffffff-ffff-ffff-ffff-ffffffffffff"
    assert high["bit"] == "10101" and high["small_enum"] == "GOOSE" and high["varchar"] == "goo\x00se"
    assert high["time_tz"] == "24:00:00-15:59:59"
    assert result.stderr.strip() == "note: 3 values in column double_array were NaN/Infinity and are null in the JSON"


def test_table_and_csv_show_nested_values_and_blobs_as_duckdb_writes_them(published):
    sql = "select int_array, double_array, struct, map, blob, interval, date_array from test_all_types()"
    table = published.run("query", sql).stdout.splitlines()
    assert "[42, 999, NULL, NULL, -42]" in table[3] and "[42.0, nan, inf, -inf, NULL, -42.0]" in table[3]
    assert "{'a': 42, 'b': 🦆🦆🦆🦆🦆🦆}" in table[3] and "{key1=🦆🦆🦆🦆🦆🦆, key2=goose}" in table[3]
    assert "\\x00\\x00\\x00a" in table[3] and "83 years 3 months 999 days 00:16:39.999999" in table[3]
    assert "[1970-01-01, infinity, -infinity, NULL, 2022-05-12]" in table[3]
    rows = _csv(published.run("query", sql, "--format", "csv").stdout)
    assert rows[2] == [
        "[42, 999, NULL, NULL, -42]", "[42.0, nan, inf, -inf, NULL, -42.0]", "{'a': 42, 'b': 🦆🦆🦆🦆🦆🦆}",
        "{key1=🦆🦆🦆🦆🦆🦆, key2=goose}", "\\x00\\x00\\x00a", "83 years 3 months 999 days 00:16:39.999999",
        "[1970-01-01, infinity, -infinity, NULL, 2022-05-12]",
    ]  # fmt: skip


def test_blobs_in_the_table_are_duckdbs_own_text_of_every_byte(published):
    sql = "select from_hex(printf('%02x', i)) as b from range(256) t(i) order by i"
    with duckdb.connect() as connection:
        expected = [text for (text,) in connection.execute(f"select b::varchar from ({sql})").fetchall()]
    printed = _csv(published.run("query", sql, "--format", "csv").stdout)[1:]
    assert [row[0] for row in printed] == expected


# NaN, Infinity, infinite dates


def test_division_by_zero_and_nan_print_in_every_format(published):
    sql = "select 1/0 as x, 'nan'::double as y, '-inf'::float as z, 1e-10::double as tiny, 1e300 * 10 as big"
    table = published.run("query", sql)
    assert table.exit_code == 0
    assert table.stdout.splitlines()[2].split() == ["inf", "nan", "-inf", "1e-10", "1e+301"]
    csv_out = published.run("query", sql, "--format", "csv")
    assert csv_out.exit_code == 0 and _csv(csv_out.stdout)[1] == ["inf", "nan", "-inf", "1e-10", "1e+301"]
    js = published.run("query", sql, "--format", "json")
    assert js.exit_code == 0
    assert _strict(js.stdout) == [{"x": None, "y": None, "z": None, "tiny": Decimal("1e-10"), "big": Decimal("1e301")}]
    assert js.stderr.strip() == (
        "note: 1 value in column x, 1 value in column y and 1 value in column z were NaN/Infinity "
        "and are null in the JSON"
    )


def test_the_note_counts_the_values_of_one_column(published):
    sql = "select x from (values ('nan'::double), (1.5), ('inf'), (null)) t(x)"
    result = published.run("query", sql, "--format", "json")
    assert _strict(result.stdout) == [{"x": None}, {"x": Decimal("1.5")}, {"x": None}, {"x": None}]
    assert result.stderr.strip() == "note: 2 values in column x were NaN/Infinity and are null in the JSON"
    assert published.run("query", "select 1.5 as x", "--format", "json").stderr == ""  # no note when none


def test_infinite_dates_and_timestamps_are_not_year_9999(published):
    sql = (
        "select 'infinity'::timestamp a, '-infinity'::timestamp b, 'infinity'::date c, 'infinity'::timestamptz d, "
        "'infinity'::timestamp_ns e, '-infinity'::timestamp_ms f, 'infinity'::timestamp_s g"
    )
    expected = ["infinity", "-infinity", "infinity", "infinity", "infinity", "-infinity", "infinity"]
    assert published.run("query", sql).stdout.splitlines()[2].split() == expected
    assert _csv(published.run("query", sql, "--format", "csv").stdout)[1] == expected
    assert list(_strict(published.run("query", sql, "--format", "json").stdout)[0].values()) == expected


def test_intervals_keep_their_months_and_unions_their_tag(published):
    sql = "select interval '1 month 2 days 3 hours' i, union_value(num := 2)::union(num int, str varchar) u"
    assert _strict(published.run("query", sql, "--format", "json").stdout) == [
        {"i": "1 month 2 days 03:00:00", "u": {"num": 2}}
    ]
    assert _csv(published.run("query", sql, "--format", "csv").stdout)[1] == ["1 month 2 days 03:00:00", "2"]


def test_large_decimals_and_hugeints_keep_every_digit(published):
    sql = (
        "select 12345678901234567890.123456789012345678::decimal(38,18) d, "
        "(2::hugeint ** 100)::hugeint h, 340282366920938463463374607431768211455::uhugeint u"
    )
    (row,) = _strict(published.run("query", sql, "--format", "json").stdout)
    assert row == {
        "d": Decimal("12345678901234567890.123456789012345678"),
        "h": 1267650600228229401496703205376,
        "u": 340282366920938463463374607431768211455,
    }
    digits = ["12345678901234567890.123456789012345678", "1267650600228229401496703205376",
              "340282366920938463463374607431768211455"]  # fmt: skip
    assert _csv(published.run("query", sql, "--format", "csv").stdout)[1] == digits
    assert published.run("query", sql).stdout.splitlines()[2].split() == digits


def test_csv_quotes_as_rfc_4180_says(published):
    sql = "select 'a,b' c1, 'say \"hi\"' c2, e'two\\nlines' c3, '' c4, null c5, 'plain' c6"
    text = published.run("query", sql, "--format", "csv").stdout
    assert text == 'c1,c2,c3,c4,c5,c6\n"a,b","say ""hi""","two\nlines","",,plain\n'
    assert _csv(text)[1] == ["a,b", 'say "hi"', "two\nlines", "", "", "plain"]


def test_repeated_column_names_stay_apart_in_the_json(published):
    result = published.run("query", "select 1 as a, 2 as a", "--format", "json")
    assert _strict(result.stdout) == [{"a": 1, "a_1": 2}]
    assert "a_1" in result.stderr


# normal results as before


def test_normal_results_look_as_before(published):
    result = published.run("query", "select * from capacity_americas order by period")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "period   institutions_expected  training_coverage  completion_rate  first_received_at  ",
        "-------  ---------------------  -----------------  ---------------  -------------------",
        "2026-Q1                     40             0.8333  NULL             2026-05-02T10:00:00",
        "2026-Q2                     41                0.5             0.25  NULL               ",
        "(2 rows)",
    ]
    rows = json.loads(published.run("query", "select * from capacity_americas order by 1", "--format", "json").stdout)
    assert rows[0] == {
        "period": "2026-Q1", "institutions_expected": 40, "training_coverage": 0.8333333333333334,
        "completion_rate": None, "first_received_at": "2026-05-02T10:00:00",
    }  # fmt: skip
    csv_out = published.run("query", "select period, training_coverage from capacity_americas order by 1", "--format",
                            "csv")  # fmt: skip
    assert csv_out.stdout.splitlines() == ["period,training_coverage", "2026-Q1,0.8333333333333334", "2026-Q2,0.5"]


# names that do not exist


def test_an_unknown_table_lists_the_published_marts(published):
    result = published.run("query", "select * from staff")
    assert result.exit_code == 2
    assert result.stdout == ""
    first, marts = result.stderr.splitlines()[:2]
    assert first.startswith('Error: table "staff" does not exist')
    assert marts == f"The published marts (schema marts, the default) are: {', '.join(MARTS)}."
    assert "Did you mean" not in result.stderr or 'Did you mean "capacity_' in result.stderr  # marts only
    assert "pg_" not in result.stderr and "not_a_mart" not in result.stderr
    assert "LINE 1: select * from staff" in result.stderr


def test_a_misspelt_mart_is_suggested(published):
    result = published.run("query", "select * from marts.capacity_american")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        'Error: table "capacity_american" does not exist. Did you mean "capacity_americas"?'
    )
    assert ", ".join(MARTS) in result.stderr


def test_an_unknown_schema_is_an_unknown_table(published):
    result = published.run("query", "select * from nope.capacity_americas", "--format", "json")
    assert result.exit_code == 2
    assert result.stderr.startswith('Error: table "nope.capacity_americas" does not exist (there is no schema "nope")')
    assert ", ".join(MARTS) in result.stderr


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("select capacity_americas.headcount from capacity_americas", ""),
        ("select a.headcount from marts.capacity_americas as a", ' ("a" in the query)'),
        (
            "select r.name, a.headcount from registry_subregions r join capacity_americas a on true",
            ' ("a" in the query)',
        ),
    ],
)
def test_an_unknown_column_of_a_named_table_lists_its_columns(published, sql, named):
    result = published.run("query", sql)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f'Error: column "headcount" does not exist in table "capacity_americas"{named}. Its columns are: '
        "period, institutions_expected, training_coverage, completion_rate, first_received_at."
    )


def test_an_unknown_column_without_its_table_keeps_duckdbs_candidates(published):
    result = published.run("query", "select subregion_cod from registry_subregions")
    assert result.exit_code == 2
    assert result.stderr.startswith('Error: Binder Error: Referenced column "subregion_cod" not found in FROM clause!')
    assert 'Candidate bindings: "subregion_code"' in result.stderr


def test_other_sql_errors_keep_duckdbs_message_and_exit_1(published):
    result = published.run("query", "selec 1")
    assert result.exit_code == 1
    assert result.stderr.startswith('Error: Parser Error: syntax error at or near "selec"')
    assert "Traceback" not in result.output
    function = published.run("query", "select nope() from capacity_americas")
    assert function.exit_code == 1 and "Scalar Function with name nope does not exist" in function.stderr


def test_an_error_while_running_points_at_the_users_line(published):
    """A query with values DuckDB writes itself (here a list) runs wrapped; the error still counts lines in the SQL."""
    sql = "select [1] as l,\n  'x'::integer as n"
    with duckdb.connect() as connection, pytest.raises(duckdb.ConversionException) as plain:
        connection.execute(sql).fetchall()
    result = published.run("query", sql)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {str(plain.value).strip()}\n"
    assert "LINE 2:   'x'::integer as n" in result.stderr


def test_finite_timestamps_print_as_pythons_isoformat_as_before(published):
    values = [
        "timestamp '2026-05-02 10:00:00.5'",
        "'2026-05-02 10:00:00.775'::timestamp_ms",
        "timestamptz '2026-05-02 10:00:00.123456+02'",
        "date '2026-05-02'",
    ]
    sql = "select " + ", ".join(f"{value} as c{n}" for n, value in enumerate(values))
    with duckdb.connect() as connection:
        expected = [value.isoformat() for value in connection.execute(sql).fetchall()[0]]
    assert list(_strict(published.run("query", sql, "--format", "json").stdout)[0].values()) == expected
    assert _csv(published.run("query", sql, "--format", "csv").stdout)[1] == expected


def test_csv_text_that_a_spreadsheet_would_run_is_inert_and_numbers_stay(published):
    sql = "select '=HYPERLINK(\"x\")' as a, '@SUM(1)' as b, '-2+3' as c, 'plain' as d, -2 as n, '-inf'::double as f"
    csv_out = published.run("query", sql, "--format", "csv")
    assert csv_out.exit_code == 0
    assert _csv(csv_out.stdout)[1] == ['\'=HYPERLINK("x")', "'@SUM(1)", "'-2+3", "plain", "-2", "-inf"]
    table = published.run("query", sql)  # people reading the table see the text as it is
    assert "=HYPERLINK" in table.stdout and "'=HYPERLINK" not in table.stdout


def test_a_query_past_its_time_memory_or_rows_is_stopped_with_the_limit_named(published):
    endless = published.run("query", "select sum(hash(range)) from range(10000000000)", "--timeout", "1")
    assert endless.exit_code == 1 and "more than 1 seconds" in endless.stderr and "--timeout" in endless.stderr
    greedy = published.run("query", "select list(range) from range(200000000)", "--memory", "100MB")
    assert greedy.exit_code == 1 and "more than 100MB of memory" in greedy.stderr
    many = published.run("query", "select * from range(11)", "--max-rows", "10")
    assert many.exit_code == 1 and "more than 10 rows" in many.stderr and many.stdout == ""
    within = published.run(
        "query", "select * from range(10) order by range desc", "--max-rows", "10", "--format", "csv"
    )
    assert within.exit_code == 0 and within.stdout.splitlines()[1:3] == ["9", "8"]
