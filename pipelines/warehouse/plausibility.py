"""Great Expectations suites on the marts: the plausibility checks that block publishing.

Which rule lives where, and why. dbt (`dbt build`: the yml of dbt_project/models, the tests in
dbt_project/tests, the enforced contracts) states what the SQL of one build must guarantee, so this
suite does not repeat it:
- the columns and types of every mart: the enforced contracts;
- the grain (no row twice): unique_combination / unique; keys present: not_null; codes:
  accepted_values; every institution / subregion of a mart is one of the registry: relationships;
  the registry files themselves (keys, required columns, code lists, institution -> country ->
  subregion): models/staging/reference/_reference__seeds.yml and _reference__models.yml;
- every share (meta unit `ratio`) within 0..1: ratio_between_0_and_1. That is also
  staff_trained <= headcount, completions <= closed_enrolments and certifications <= completions
  wherever the denominator is not 0 (where it is 0, the numerator, a part of it, is 0 too);
  and gender_parity_index >= 0, a quotient of two such shares;
- institutions_reporting <= institutions_expected in every rollup: reporting_not_above_expected;
- the Americas add up what the institutions hold: assert_rollups_add_up_to_institutions;
- the warehouse holds exactly the current versions: assert_warehouse_holds_the_current_versions;
- the KPI formulas, zero denominators, rollups of ratios: the unit tests (_*__unit_tests.yml).

This suite says what those tests cannot: whether the marts are complete against the registry and
the ledger, and whether the figures are plausible. It runs on the marts whose dbt meta says
`plausibility_checked` (`catalog.checked_marts()`), and picks its columns by their meta `unit`.
- Completeness: a mart whose grain (`catalog.key_columns`, from its unique_combination test) is made
  of registry dimensions holds, in each key column, exactly the expected values (the registry's
  institutions, their countries, every subregion, the two kinds, the periods with an accepted
  submission in the ledger export dbt read), and as many rows as their product. With dbt's
  unique_combination, that is every combination once: every institution / country / subregion in
  every period, nothing extra. The expected values come from sources/reference
  (pipelines.common.registry) and the ledger, never from the marts themselves.
- Plausible values: hours (unit `hours`) and fte (`fte`) not negative (the contracts want
  hours > 0 and 0 < fte <= 1: a file that slipped past the intake shows here); hours_per_employee
  at most 2000 in a quarter (a working year); score gains (`score`) within -100..100 (the tests
  score 0..100); fte <= headcount (no one above 1 fte). Counts are not checked for being negative:
  they are count(*) of rows (versions: numbered from 1, else 0), which no file can make negative.
- Period over period: none. The one such rule of schemas/rules.yaml (HEADCOUNT_JUMP: a roster
  more than 25% above or below the previous quarter's) is a warning of the intake on the file; a
  blocking copy here would refuse a build for a file the intake accepted with that warning.

GE cannot read DuckDB through SQLAlchemy here, so each mart is pulled from the build database as
a DataFrame and validated in memory. Results and Data Docs are kept under the home folder
($CIESS_HOME/gx/uncommitted/data_docs/local_site/index.html) for analysts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.contract.model import KINDS
from pipelines.intake.storing.ledger import ACCEPTED_STATUSES
from pipelines.warehouse import catalog, databases

RANGES_BY_UNIT = {"hours": (0, None), "fte": (0, None), "score": (-100, 100)}
RANGES_BY_COLUMN = {"hours_per_employee": (0, 2000)}  # instead of its unit's range


@dataclass
class MartCheck:
    mart: str
    success: bool
    failures: list[str] = field(default_factory=list)
    evaluated: int = 0


def expected_values(settings: Settings) -> list[dict[str, str]]:
    """The rows of registry dimensions a complete mart holds: one per member institution x kind x
    period of the ledger's accepted files (an institution counts only in its membership's quarters)."""
    registry = institutions()
    export = str(databases.ledger_export(settings))
    with duckdb.connect() as connection:
        periods = connection.execute(
            "select distinct period from read_parquet(?) where list_contains(?, status) order by 1",
            [export, list(ACCEPTED_STATUSES)],
        ).fetchall()
    return [
        {"institution_code": institution.code, "country_iso2": institution.country_iso2,
         "subregion_code": institution.subregion_code, "kind": kind, "period": period}
        for (period,) in periods
        for institution in registry.values()
        if institution.expected_in(period)
        for kind in KINDS
    ]  # fmt: skip


def _expectations(mart: str, expected: list[dict[str, str]]):
    import great_expectations as gx

    expect = gx.expectations
    columns = catalog.columns(mart)
    found = []
    for unit, unit_range in RANGES_BY_UNIT.items():
        for column in catalog.columns_with_unit(mart, unit):
            low, high = RANGES_BY_COLUMN.get(column, unit_range)
            found.append(expect.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))
    if {"headcount", "fte"} <= set(columns):
        found.append(
            expect.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="headcount", column_B="fte", or_equal=True, ignore_row_if="either_value_is_missing"
            )
        )
    keys = catalog.key_columns(mart)
    if keys and expected and all(key in expected[0] for key in keys):  # a grid of registry dimensions: complete
        grid = {tuple(row[key] for key in keys) for row in expected}
        found += [expect.ExpectColumnDistinctValuesToEqualSet(column=key, value_set=sorted({cell[i] for cell in grid}))
                  for i, key in enumerate(keys)]  # fmt: skip
        found.append(expect.ExpectTableRowCountToEqual(value=len(grid)))
    return found


def check_marts(settings: Settings, database: Path, marts: tuple[str, ...]) -> list[MartCheck]:
    """Validate each mart of the build database; writes Data Docs under the home folder."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(settings.home))
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_or_update_pandas("marts")
    expected = expected_values(settings)
    with duckdb.connect(str(database), read_only=True) as connection:
        frames = {mart: connection.execute(f"select * from marts.{mart}").df() for mart in marts}
    definitions = []
    for mart in marts:
        asset = next((a for a in source.assets if a.name == mart), None) or source.add_dataframe_asset(mart)
        batch = next((b for b in asset.batch_definitions if b.name == "whole"), None)
        batch = batch or asset.add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=f"{mart}_plausibility", expectations=_expectations(mart, expected))
        )
        definitions.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=f"{mart}_plausibility", data=batch, suite=suite)
            )
        )
    results = []
    for mart, definition in zip(marts, definitions, strict=True):
        outcome = definition.run(batch_parameters={"dataframe": frames[mart]})
        check = MartCheck(mart=mart, success=bool(outcome.success))
        for item in outcome.results:
            check.evaluated += 1
            if not item.success:
                check.failures.append(_failure(item))
        results.append(check)
    context.build_data_docs()
    return results


def _failure(item) -> str:
    """One line per failed expectation: what, on which column, and the values that broke it."""
    config = item.expectation_config
    column = config.kwargs.get("column") or config.kwargs.get("column_A") or ""
    found = item.result
    sample = found.get("partial_unexpected_list") or found.get("observed_value")
    text = f"{config.type}({column}): {sample}"
    if found.get("partial_missing_list"):
        text += f", missing {found['partial_missing_list']}"
    if "value" in config.kwargs:
        text += f", expected {config.kwargs['value']}"
    return text


def data_docs_index(settings: Settings) -> Path:
    return settings.home / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
