"""The cycle, exported for dbt at every build (lake/_cycle/*.parquet): the audit log, the state of
every expected return, and the state of every period. The states are derived here, once, by
`pipelines.cycle.states`; dbt joins them to the marts (return_status, data_status, cycle_events)."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.common.atomic import replace_with
from pipelines.common.settings import Settings
from pipelines.cycle.returns import all_returns, period_state
from pipelines.intake.storing import cycle_log
from pipelines.intake.storing.ledger import Ledger

EVENTS_SCHEMA = pa.schema([
    ("event_id", pa.int64()), ("at", pa.string()), ("action", pa.string()), ("period", pa.string()),
    ("institution_code", pa.string()), ("kind", pa.string()), ("submission_id", pa.string()),
    ("status", pa.string()), ("version", pa.int64()), ("rule", pa.string()), ("revision", pa.int64()),
    ("actor", pa.string()), ("text", pa.string()),
])  # fmt: skip
RETURNS_SCHEMA = pa.schema([
    ("institution_code", pa.string()), ("period", pa.string()), ("state", pa.string()),
    ("staffing_version", pa.int64()), ("training_version", pa.int64()), ("warnings_to_explain", pa.int64()),
    ("explained", pa.int64()), ("last_event_at", pa.string()), ("approved_at", pa.string()),
    ("approved_by", pa.string()), ("returned_comment", pa.string()),
])  # fmt: skip
PERIODS_SCHEMA = pa.schema([
    ("period", pa.string()), ("locked", pa.bool_()), ("revision", pa.int64()), ("locked_at", pa.string()),
    ("revisions", pa.int64()),
])  # fmt: skip


def cycle_dir(settings: Settings) -> Path:
    return settings.lake_dir / "_cycle"


def export_cycle(settings: Settings) -> dict[str, int]:
    """Write the three tables (atomic replace each); rows written per table."""
    ledger = Ledger.of(settings)
    with closing(ledger.connect()) as connection:
        events = cycle_log.events(connection)
        periods = [period_state(connection, period) for period in ledger.periods()]
    returns = all_returns(ledger, settings.deadline_days)
    tables = {
        "cycle_events": pa.Table.from_pylist(
            [
                {
                    **{name: getattr(event, name) for name in cycle_log.EVENT_FIELDS if name != "institution"},
                    "institution_code": event.institution,
                }
                for event in events
            ],
            schema=EVENTS_SCHEMA,
        ),
        "return_states": pa.Table.from_pylist(
            [
                {
                    "institution_code": item.institution,
                    "period": item.period,
                    "state": item.state,
                    "staffing_version": item.version("staffing"),
                    "training_version": item.version("training"),
                    "warnings_to_explain": item.status.warnings_to_explain,
                    "explained": item.status.explained,
                    "last_event_at": item.status.last_event.at if item.status.last_event else None,
                    "approved_at": item.status.approval.at if item.status.approval else None,
                    "approved_by": cycle_log.who(item.status.approval.actor) if item.status.approval else None,
                    "returned_comment": item.status.last_return.text if item.status.last_return else None,
                }
                for item in returns
            ],
            schema=RETURNS_SCHEMA,
        ),
        "period_locks": pa.Table.from_pylist(
            [
                {
                    "period": state.period,
                    "locked": state.locked,
                    "revision": state.lock.revision if state.lock else None,
                    "locked_at": state.lock.at if state.lock else None,
                    "revisions": state.revisions,
                }
                for state in periods
            ],
            schema=PERIODS_SCHEMA,
        ),
    }
    for name, table in tables.items():
        path = cycle_dir(settings) / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_with(path, lambda temporary, table=table: pq.write_table(table, temporary))
    return {name: table.num_rows for name, table in tables.items()}
