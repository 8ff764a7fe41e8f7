"""What analysts read about the marts: the yml descriptions as comments inside the published
database, and the data dictionary (dbt's static docs) that every publish writes."""

from __future__ import annotations

import json

import dagster as dg
import duckdb
import pytest

from pipelines.common.settings import Settings
from pipelines.definitions import defs as load_definitions
from pipelines.warehouse import catalog, dictionary


def _manifest_descriptions() -> dict[str, tuple[str, dict[str, str]]]:
    """mart -> (its description, column -> description), as the marts' yml says."""
    manifest = json.loads(catalog.manifest_path().read_text(encoding="utf-8"))
    return {
        node["name"]: (node["description"], {name: column["description"] for name, column in node["columns"].items()})
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] in catalog.published_marts()
    }


@pytest.mark.warehouse
def test_every_published_mart_and_column_is_described_in_the_published_database(example_home):
    published = example_home / "warehouse" / "published.duckdb"
    with duckdb.connect(str(published), read_only=True) as connection:  # as an analyst opens it
        tables = dict(
            connection.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
        )
        columns: dict[str, dict[str, str | None]] = {}
        for table, column, comment in connection.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'"
        ).fetchall():
            columns.setdefault(table, {})[column] = comment
    expected = _manifest_descriptions()
    assert set(tables) == set(catalog.published_marts()) == set(expected)
    for mart, (description, column_descriptions) in expected.items():
        assert tables[mart] and tables[mart].strip(), f"{mart} has no description"
        assert tables[mart] == description
        assert list(columns[mart]) == list(catalog.columns(mart))
        for column, comment in columns[mart].items():
            assert comment and comment.strip(), f"{mart}.{column} has no description"
            assert comment == column_descriptions[column]  # quotes and all, as written in the yml
    assert any("'" in comment for mart in columns.values() for comment in mart.values())  # quoting was exercised


@pytest.mark.warehouse
def test_a_build_publishes_an_offline_data_dictionary(example_home):
    path = dictionary.dictionary_path(Settings.from_env(example_home))
    html = path.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    for mart in catalog.published_marts():
        assert f"model.ciess_warehouse.{mart}" in html
    assert '"send_anonymous_usage_stats": false' in html  # else the page loads a tracker from a CDN
    assert "Capacity-building measures per institution x period" in html  # the yml descriptions
    assert not list(path.parent.glob(".*.tmp"))  # installed with one rename, nothing left behind


def test_the_dictionary_comes_after_the_publish_in_the_build_job():
    definitions = load_definitions()
    graph = definitions.resolve_asset_graph()
    node = graph.get(dg.AssetKey("data_dictionary"))
    assert dg.AssetKey("published_warehouse") in node.parent_keys
    assert node.group_name == "marts"
    job = definitions.resolve_job_def("warehouse_build")
    assert dg.AssetKey("data_dictionary") in job.asset_layer.selected_asset_keys


def test_install_refuses_a_missing_page_and_a_page_that_would_reach_the_network(tmp_path):
    settings = Settings.from_env(tmp_path / "home")
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(dictionary.DictionaryError, match=r"static_index\.html"):
        dictionary.install(target, settings)
    (target / dictionary.STATIC_INDEX).write_text("<!DOCTYPE html><title>dbt Docs</title>", encoding="utf-8")
    (target / "manifest.json").write_text(json.dumps({"metadata": {"send_anonymous_usage_stats": True}}))
    with pytest.raises(dictionary.DictionaryError, match="CDN"):
        dictionary.install(target, settings)
    assert not dictionary.dictionary_path(settings).exists()
    with pytest.raises(dictionary.NoDictionary, match="ciess build"):
        dictionary.published_dictionary(settings)

    (target / "manifest.json").write_text(json.dumps({"metadata": {"send_anonymous_usage_stats": False}}))
    installed = dictionary.install(target, settings)
    assert installed == dictionary.published_dictionary(settings)
    assert installed.read_text(encoding="utf-8") == "<!DOCTYPE html><title>dbt Docs</title>"


def test_the_dictionary_is_made_again_only_when_the_dbt_project_changed(tmp_path):
    settings = Settings.from_env(tmp_path / "home")
    assert not dictionary.up_to_date(settings)  # nothing yet
    target = tmp_path / "dbt-target"
    target.mkdir()
    (target / dictionary.STATIC_INDEX).write_text("<!DOCTYPE html><title>dbt Docs</title>", encoding="utf-8")
    (target / "manifest.json").write_text(json.dumps({"metadata": {"send_anonymous_usage_stats": False}}))
    dictionary.install(target, settings)
    assert dictionary.up_to_date(settings)  # the next build keeps it
    fingerprint = settings.home / "docs" / "data-dictionary.fingerprint"
    fingerprint.write_text("made from another version of the dbt project", encoding="utf-8")
    assert not dictionary.up_to_date(settings)  # a changed project makes it again
