"""docs/analysts.md stays true: every query in it runs on a built home and gives the columns it shows,
and it names every published mart."""

from __future__ import annotations

import json
import re

import pytest

from pipelines.common.paths import PROJECT_ROOT
from pipelines.warehouse import catalog
from tests.conftest import SAMPLE_PERIODS, copy_home

GUIDE = PROJECT_ROOT / "docs" / "analysts.md"
# a ```sql block, and the ``` block of its output if one follows (its first line is the header)
SQL_BLOCK = re.compile(r"```sql\n(?P<sql>.*?)```\n(?:```\n(?P<output>.*?)```)?", re.S)


def worked_questions() -> list[tuple[str, list[str] | None]]:
    text = GUIDE.read_text("utf-8")
    found = [(m["sql"], m["output"].splitlines()[0].split() if m["output"] else None) for m in SQL_BLOCK.finditer(text)]
    assert sum(header is not None for _, header in found) >= 5, "the guide has five worked questions"
    return found


@pytest.mark.warehouse
@pytest.mark.parametrize("sql, header", worked_questions(), ids=lambda value: str(value)[:40])
def test_every_worked_question_runs_and_gives_the_columns_shown(sample, tmp_path, sql, header):
    ciess = copy_home(sample.home, tmp_path)
    sql = sql.replace("2026-Q3", str(SAMPLE_PERIODS[-1]))  # the sample's latest quarter, so rows come back
    result = ciess.run("query", sql, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    if header is None:  # a query shown without its output: it runs, and answers
        assert rows
    elif rows:
        assert list(rows[0]) == header
    else:  # no row in the sample: the columns must still be the ones the guide shows
        table = ciess.run("query", sql).stdout.splitlines()
        assert table[0].split() == header


def test_the_guide_names_every_published_mart():
    text = GUIDE.read_text("utf-8")
    assert [name for name in catalog.published_marts() if f"`{name}`" not in text] == []
