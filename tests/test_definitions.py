"""The Dagster definitions load, and the intake asset reports what the ledger holds."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import CiessHome, current_submissions, defs
from tests.conftest import EXAMPLES


def test_definitions_load():
    assert defs.resolve_asset_graph().get_all_asset_keys() == {dg.AssetKey("current_submissions")}


def test_current_submissions_counts_current_versions_only(roster_accepted, tmp_path):
    roster_accepted.submit(EXAMPLES["training"] / "valid.csv")
    corrected = tmp_path / "v2.csv"
    corrected.write_text((EXAMPLES["training"] / "valid.csv").read_text().replace(",16,", ",18,"), encoding="utf-8")
    assert roster_accepted.submit(corrected).receipt["version"] == 2
    roster_accepted.submit(EXAMPLES["training"] / "invalid-DATE_ORDER.csv")

    result = dg.materialize([current_submissions], resources={"ciess": CiessHome(home=str(roster_accepted.home))})
    metadata = result.asset_materializations_for_node("current_submissions")[0].metadata
    assert metadata["current_submissions"].value == 2
    assert metadata["training_files"].value == 1
    assert metadata["rows"].value == 12
