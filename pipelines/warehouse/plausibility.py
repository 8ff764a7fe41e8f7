"""Great Expectations suites on the marts: plausibility checks that block publishing.

GE cannot read DuckDB through SQLAlchemy here, so each mart is pulled from the build database as
a DataFrame and validated in memory. Results and Data Docs are kept under the home folder
($CIESS_HOME/gx/uncommitted/data_docs/local_site/index.html) for analysts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.common.registry import institutions, subregions
from pipelines.common.settings import Settings

RATIOS = ("training_coverage", "completion_rate", "certification_rate", "female_coverage", "male_coverage",
          "ciess_hours_share")  # fmt: skip
ROLLUPS = ("capacity_by_country", "capacity_by_subregion", "capacity_americas")
CAPACITY_MARTS = ("capacity_by_institution", *ROLLUPS)


@dataclass
class MartCheck:
    mart: str
    success: bool
    failures: list[str] = field(default_factory=list)
    evaluated: int = 0


def _expectations(mart: str, periods: int):
    import great_expectations as gx

    expect = gx.expectations
    found = []
    if mart in CAPACITY_MARTS:
        found += [expect.ExpectColumnValuesToBeBetween(column=name, min_value=0, max_value=1) for name in RATIOS]
        found += [
            expect.ExpectColumnValuesToBeBetween(column="headcount", min_value=0),
            expect.ExpectColumnValuesToBeBetween(column="hours_per_employee", min_value=0, max_value=2000),
            expect.ExpectColumnValuesToBeBetween(column="mean_score_gain", min_value=-100, max_value=100),
            expect.ExpectColumnPairValuesAToBeGreaterThanB(column_A="headcount", column_B="staff_trained",
                                                           or_equal=True, ignore_row_if="either_value_is_missing"),
            expect.ExpectColumnPairValuesAToBeGreaterThanB(column_A="closed_enrolments", column_B="completions",
                                                           or_equal=True, ignore_row_if="either_value_is_missing"),
            expect.ExpectColumnPairValuesAToBeGreaterThanB(column_A="completions", column_B="certifications",
                                                           or_equal=True, ignore_row_if="either_value_is_missing"),
        ]  # fmt: skip
    if mart in ROLLUPS:
        found.append(
            expect.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="institutions_expected", column_B="institutions_reporting", or_equal=True
            )
        )
    # No period without its reference rows: every institution / subregion appears in every period.
    if mart == "capacity_by_institution":
        found.append(expect.ExpectTableRowCountToEqual(value=len(institutions()) * periods))
    if mart == "capacity_by_subregion":
        found.append(expect.ExpectTableRowCountToEqual(value=len(subregions()) * periods))
        found.append(expect.ExpectColumnDistinctValuesToEqualSet(column="subregion_code", value_set=list(subregions())))
    if mart == "capacity_americas":
        found.append(expect.ExpectTableRowCountToEqual(value=periods))
    if mart == "submission_compliance":
        found.append(expect.ExpectTableRowCountToEqual(value=len(institutions()) * 2 * periods))
        found.append(expect.ExpectColumnValuesToBeBetween(column="versions", min_value=0))
    return found


def check_marts(settings: Settings, database: Path, marts: tuple[str, ...]) -> list[MartCheck]:
    """Validate each mart of the build database; writes Data Docs under the home folder."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(settings.home))
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_or_update_pandas("marts")
    with duckdb.connect(str(database), read_only=True) as connection:
        periods = connection.execute("select count(*) from marts.capacity_americas").fetchall()[0][0]
        frames = {mart: connection.execute(f"select * from marts.{mart}").df() for mart in marts}
    definitions = []
    for mart in marts:
        asset = next((a for a in source.assets if a.name == mart), None) or source.add_dataframe_asset(mart)
        batch = next((b for b in asset.batch_definitions if b.name == "whole"), None)
        batch = batch or asset.add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=f"{mart}_plausibility", expectations=_expectations(mart, periods))
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
                config = item.expectation_config
                column = config.kwargs.get("column") or config.kwargs.get("column_A") or ""
                sample = item.result.get("partial_unexpected_list") or item.result.get("observed_value")
                check.failures.append(f"{config.type}({column}): {sample}")
        results.append(check)
    context.build_data_docs()
    return results


def data_docs_index(settings: Settings) -> Path:
    return settings.home / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
