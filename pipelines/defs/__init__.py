"""Dagster's view of the project, loaded by `pipelines.definitions` (dg's defs folder).

Dagster only, no tests inside: every asset, check, sensor and schedule here is a thin wrapper that
calls the pure modules of `pipelines.intake`, `pipelines.warehouse`, `pipelines.reports` and `pipelines.notices`.
- `resources`: the home folder (`ciess`) and dbt (`dbt`);
- `intake/`: the lake tables, the inbox job and its sensor, accepted submissions as lake events;
- `warehouse/`: the dbt models, the plausibility checks, the publish step, the build job;
- `reports/`: the quarter x region partitions, the regional summaries, their schedule;
- `notices/`: the daily reminders' schedule and the sensor that flushes the outbox.
"""
