"""What the dbt project says about its marts, read from dbt's manifest (dbt_project/target/manifest.json).

The facts about the marts are written once, as dbt `meta` in the models' yml
(dbt_project/models/marts/_marts__models.yml), and read here by the publish step, the Great
Expectations suite, the reports and the Dagster wiring, so that no Python list repeats them:

model `config: meta:`
    published             true: the mart is copied into the published database analysts query
                          (`databases.publish`), and the publish step waits for it.
    plausibility_checked  true: the Great Expectations suite (`plausibility.check_marts`) validates it
                          before publishing, as a blocking check.
    grain                 what one row is, in words ("institution x period"). The key columns
                          themselves are those of the mart's `unique_combination` (or `unique`) test,
                          read by `key_columns()`, so the grain is tested where it is written.
column `config: meta:`
    unit                  what a value is: one of UNITS (every column of a published mart has one,
                          and a column name means the same unit in every mart).

Every published mart has an enforced dbt contract, so its columns here are exactly the columns of
the table. The manifest is written by `dbt parse` (`make install`); nothing here imports Dagster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pipelines.common.paths import DBT_PROJECT_DIR

MARTS_SCHEMA = "marts"  # the folder configuration of models/marts (dbt_project.yml)
UNITS = {
    "ratio": "a share between 0 and 1 (reports show it as a percentage; dbt tests ratio_between_0_and_1)",
    "index": "a quotient that is not a share and may exceed 1 (gender parity: female / male coverage)",
    "count": "a number of rows, staff, institutions, submissions or issues",
    "fte": "full-time equivalents (each staff member 0..1)",
    "hours": "hours of training, or hours per employee",
    "days": "a number of days",
    "score": "points on the 0..100 scale of the pre- and post-tests",
    "money": "an amount in the institution's local currency",
    "flag": "true or false",
    "timestamp": "a point in time",
    "period": "a calendar quarter YYYY-Qn",
    "code": "a code of a code list or of the registry",
    "id": "the identifier of a submission",
    "text": "a name, for people to read",
    "measure": "the value of the measure the row names (in that measure's own unit)",
    "json": "a JSON object, its keys and values as the column's description says",
}


class CatalogError(RuntimeError):
    """The manifest is missing, or its meta do not say what the callers need."""


@dataclass(frozen=True)
class MartColumn:
    """One column of a mart as the dbt docs describe it."""

    name: str
    data_type: str
    unit: str | None
    description: str


@dataclass(frozen=True)
class Mart:
    name: str
    published: bool
    plausibility_checked: bool
    grain: str
    columns: dict[str, str]  # column -> unit, in the order of the yml
    key_columns: tuple[str, ...]
    description: str = ""
    described_columns: tuple[MartColumn, ...] = ()

    @property
    def summary(self) -> str:
        """The description's first sentence: what question the mart answers, in one line."""
        text = " ".join(self.description.split())
        end = text.find(". ")
        return text if end < 0 else text[: end + 1]


def manifest_path() -> Path:
    return DBT_PROJECT_DIR / "target" / "manifest.json"


@cache
def _marts() -> dict[str, Mart]:
    path = manifest_path()
    if not path.exists():
        raise CatalogError(
            f"dbt's manifest {path} is missing: run `make install` "
            f"(or `cd {DBT_PROJECT_DIR.name} && dbt parse --profiles-dir .`) first"
        )
    manifest = json.loads(path.read_text(encoding="utf-8"))
    models = {
        node["unique_id"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == MARTS_SCHEMA
    }
    keys = _key_columns(manifest, models)
    marts = {}
    for unique_id, node in sorted(models.items(), key=lambda item: item[1]["name"]):
        meta = node["config"].get("meta") or {}
        name = node["name"]
        mart = Mart(
            name=name,
            published=_flag(meta, "published", name),
            plausibility_checked=_flag(meta, "plausibility_checked", name),
            grain=str(meta.get("grain", "")),
            columns={column: _unit(spec) for column, spec in node["columns"].items()},
            key_columns=keys.get(unique_id, ()),
            description=node.get("description") or "",
            described_columns=tuple(
                MartColumn(
                    name=column,
                    data_type=(spec.get("data_type") or "").upper(),
                    unit=_unit(spec),
                    description=" ".join((spec.get("description") or "").split()),
                )
                for column, spec in node["columns"].items()
            ),
        )
        if mart.published:
            _require_complete(mart, node)
        marts[name] = mart
    _require_one_unit_per_name(marts.values())
    return marts


def _unit(column: dict) -> str | None:
    return ((column.get("config") or {}).get("meta") or {}).get("unit")


def _flag(meta: dict[str, Any], key: str, mart: str) -> bool:
    value = meta.get(key, False)
    if not isinstance(value, bool):
        raise CatalogError(f"{mart}: meta {key} must be true or false, not {value!r}")
    return value


def _key_columns(manifest: dict, models: dict[str, dict]) -> dict[str, tuple[str, ...]]:
    """The grain of each mart, as its tests state it: unique_combination(columns), else a unique column."""
    found: dict[str, tuple[str, ...]] = {}
    for node in manifest["nodes"].values():
        test = node.get("test_metadata") or {}
        model = node.get("attached_node")
        if node["resource_type"] != "test" or model not in models:
            continue
        if test.get("name") == "unique_combination":
            found[model] = tuple(test["kwargs"]["columns"])
        elif test.get("name") == "unique" and model not in found:
            found[model] = (node["column_name"],)
    return found


def _require_complete(mart: Mart, node: dict) -> None:
    if not node["config"].get("contract", {}).get("enforced"):
        raise CatalogError(f"{mart.name} is published without an enforced contract: its yml must list every column")
    if not mart.grain:
        raise CatalogError(f"{mart.name} is published without meta grain")
    for column, unit in mart.columns.items():
        if unit not in UNITS:
            raise CatalogError(f"{mart.name}.{column}: meta unit {unit!r} is not one of {', '.join(UNITS)}")


def _require_one_unit_per_name(marts) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for mart in marts:
        for column, unit in mart.columns.items():
            if unit is None:
                continue
            other = seen.setdefault(column, (mart.name, unit))
            if other[1] != unit:
                raise CatalogError(f"{column} is {unit} in {mart.name} but {other[1]} in {other[0]}")


def _mart(name: str) -> Mart:
    try:
        return _marts()[name]
    except KeyError:
        raise CatalogError(f"no mart {name!r} in dbt's manifest {manifest_path()}") from None


def mart(name: str) -> Mart:
    """Everything the dbt project says of one mart (CatalogError names the published ones if unknown)."""
    found = _marts().get(name)
    if found is None or not found.published:
        raise CatalogError(f"no published mart {name!r}; the marts are: {', '.join(published_marts())}")
    return found


def published_marts() -> tuple[str, ...]:
    """The marts analysts query, by name (meta published)."""
    return tuple(mart.name for mart in _marts().values() if mart.published)


def checked_marts() -> tuple[str, ...]:
    """The marts the Great Expectations suite validates before publishing (meta plausibility_checked)."""
    return tuple(mart.name for mart in _marts().values() if mart.plausibility_checked)


def columns(mart: str) -> tuple[str, ...]:
    """The columns of a mart, in the order of its yml (for a published mart: of its contract)."""
    return tuple(_mart(mart).columns)


def columns_with_unit(mart: str | None, unit: str) -> tuple[str, ...]:
    """The columns of `mart` (None: of every published mart, each name once) whose meta unit is `unit`."""
    if unit not in UNITS:
        raise CatalogError(f"unknown unit {unit!r}; the units are {', '.join(UNITS)}")
    scope = [_mart(mart)] if mart is not None else [_mart(name) for name in published_marts()]
    found = dict.fromkeys(column for item in scope for column, its in item.columns.items() if its == unit)
    return tuple(found)


def unit_of(column: str) -> str | None:
    """The unit of a column name in the published marts (the same in each), None when no mart has it."""
    for name in published_marts():
        unit = _mart(name).columns.get(column)
        if unit is not None:
            return unit
    return None


def grain(mart: str) -> str:
    """What one row of the mart is, in words (meta grain)."""
    return _mart(mart).grain


def key_columns(mart: str) -> tuple[str, ...]:
    """The columns that identify a row of the mart, as its unique_combination or unique test says."""
    return _mart(mart).key_columns
