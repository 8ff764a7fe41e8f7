"""CIESS capacity-building warehouse: the path of a submission, folder by folder (NAMING.md).

common -> contract -> intake -> warehouse -> reports -> portal -> cli -> defs (Dagster) ->
definitions, each layer importing only the layers before it (pyproject.toml, [tool.importlinter])."""
