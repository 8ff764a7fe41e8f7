"""The one entry point Dagster loads (workspace.yaml, `dg`): the defs folder, and the policies that
apply to every asset. Nothing else lives here; each definition is in `pipelines/defs/`.

intake (lake/staffing, lake/training, lake/submissions, lake/code_labels) -> dbt models
(dagster-dbt, `dbt build` with its tests as asset checks) -> Great Expectations checks on the marts
(blocking) -> publish -> data dictionary; regional reports from the published marts.
"""

from pathlib import Path

import dagster as dg

OWNERS = ["team:ciess-data"]  # who answers for every asset, shown in the UI


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    return loaded.map_resolved_asset_specs(func=lambda spec: spec.replace_attributes(owners=OWNERS))
