"""The marts name their keys alike (institution_code, country_iso2, subregion_code), the regional
marts say which rows are of the whole Americas instead of inventing a subregion code for it, and
the mart code_labels names every code of the contracts, every kind and every subregion in the
four languages."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from pipelines.contract.labels import code_labels
from pipelines.contract.model import KINDS, LANGUAGES, load_contract
from pipelines.warehouse import catalog
from tests.conftest import Ciess, copy_home

REGIONAL_MARTS = ("regional_training_by_theme", "regional_quality_by_rule")
SPEC_WITHOUT_PLACE = {"submission_compliance", "return_status", "cycle_events"}  # the spec lists their columns


def _query(ciess: Ciess, sql: str) -> list[dict]:
    result = ciess.run("query", sql, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def sampled(sample, tmp_path_factory) -> Ciess:
    """A copy of the built sample (a few institutions of three subregions, two quarters, rejected files too)."""
    return copy_home(sample.home, tmp_path_factory.mktemp("keys"))


def test_no_mart_says_region_code():
    found = {name: catalog.columns(name) for name in catalog.published_marts()}
    assert [name for name, columns in found.items() if "region_code" in columns] == []


def test_every_per_institution_mart_says_where_the_institution_is():
    for name in catalog.published_marts():
        columns = catalog.columns(name)
        if "institution_code" in columns and name not in SPEC_WITHOUT_PLACE:
            assert {"country_iso2", "subregion_code"} <= set(columns), name


def test_regional_marts_key_on_geography_level_and_subregion_code():
    for name in REGIONAL_MARTS:
        assert catalog.key_columns(name)[:2] == ("geography_level", "subregion_code"), name
        assert catalog.columns(name)[:2] == ("geography_level", "subregion_code"), name
        assert "americas" in catalog.grain(name).lower()


def test_code_labels_is_published_with_its_grain_and_units():
    assert "code_labels" in catalog.published_marts()
    assert catalog.columns("code_labels") == ("code_list", "code", "lang", "label")
    assert catalog.key_columns("code_labels") == ("code_list", "code", "lang")
    assert catalog.columns_with_unit("code_labels", "text") == ("label",)


@pytest.mark.warehouse
@pytest.mark.parametrize("mart", REGIONAL_MARTS)
def test_whole_americas_rows_have_no_subregion_code(sampled, mart):
    rows = _query(sampled, f"select geography_level, subregion_code from {mart}")
    assert {row["geography_level"] for row in rows} == {"subregion", "americas"}
    assert all((row["subregion_code"] is None) == (row["geography_level"] == "americas") for row in rows)
    assert "AMERICAS" not in {row["subregion_code"] for row in rows}


@pytest.mark.warehouse
def test_the_americas_rows_add_up_the_subregions(sampled):
    (mismatch,) = _query(
        sampled,
        """select count(*) as themes from (
             select period, thematic_area, sum(completed_hours) as hours, sum(completions) as completions
             from regional_training_by_theme where geography_level = 'subregion' group by all) as subregions
           full join (select * from regional_training_by_theme where geography_level = 'americas') as americas
             using (period, thematic_area)
           where subregions.hours is distinct from americas.completed_hours
              or subregions.completions is distinct from americas.completions""",
    )
    assert mismatch == {"themes": 0}


@pytest.mark.warehouse
@pytest.mark.parametrize("mart", ["training_activity_mix", "submission_rule_counts"])
def test_per_institution_marts_carry_the_registry_country_and_subregion(sampled, mart):
    rows = _query(
        sampled,
        f"""select mart.institution_code, mart.country_iso2, mart.subregion_code,
                   registry.country_iso2 as registry_country, registry.subregion_code as registry_subregion
            from {mart} as mart left join registry_institutions as registry using (institution_code)""",
    )
    assert rows
    assert all(row["country_iso2"] == row["registry_country"] for row in rows)
    assert all(row["subregion_code"] == row["registry_subregion"] for row in rows)


@pytest.mark.warehouse
def test_code_labels_name_every_code_kind_and_subregion_in_four_languages(example_home, tmp_path):
    ciess = copy_home(example_home, tmp_path)
    rows = _query(ciess, "select * from code_labels")
    labels = {(row["code_list"], row["code"], row["lang"]): row["label"] for row in rows}
    assert len(labels) == len(rows)
    for kind in KINDS:
        contract = load_contract(kind)
        for lang in LANGUAGES:
            assert labels[("kind", kind, lang)] == contract.labels[lang]
        for column in contract.columns:
            for code in column.codes:
                for lang in LANGUAGES:
                    assert labels[(column.name, code, lang)] == column.code_labels[code][lang]
    subregions = _query(ciess, "select * from registry_subregions")
    for subregion in subregions:
        for lang in LANGUAGES:
            assert labels[("subregion_code", subregion["subregion_code"], lang)] == subregion[f"name_{lang}"]
    assert len(rows) == len(code_labels()) + len(subregions) * len(LANGUAGES)
    assert {row["lang"] for row in rows} == set(LANGUAGES)
    pt = _query(ciess, "select code, label from code_labels where code_list = 'thematic_area' and lang = 'pt'")
    assert {row["code"]: row["label"] for row in pt}["PENSIONS"] == "Aposentadorias e pensões"


@pytest.mark.warehouse
def test_the_lake_holds_the_contracts_labels_for_dbt(example_home):
    table = pq.read_table(example_home / "lake" / "_labels" / "code_labels.parquet")
    assert table.column_names == ["code_list", "code", "lang", "label"]
    assert table.num_rows == len(code_labels())


def test_the_labels_in_the_lake_are_an_asset_upstream_of_dbt():
    import dagster as dg

    from pipelines.definitions import defs

    graph = defs().resolve_asset_graph()
    staging = graph.get(dg.AssetKey(["staging", "stg_lake__code_labels"]))
    assert dg.AssetKey(["lake", "code_labels"]) in staging.parent_keys
    assert (
        dg.AssetKey(["staging", "stg_lake__code_labels"])
        in graph.get(dg.AssetKey(["marts", "code_labels"])).parent_keys
    )
