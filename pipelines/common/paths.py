"""Where the project's own files are, resolved once (contracts, reference data, dbt project)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
REFERENCE_DIR = PROJECT_ROOT / "sources" / "reference"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
