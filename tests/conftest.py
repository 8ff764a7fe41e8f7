"""Shared fixtures: every test gets its own home folder; the CLI is driven as a user types it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli.main import cli
from pipelines.common.paths import SCHEMAS_DIR

EXAMPLES = {kind: SCHEMAS_DIR / kind / "examples" for kind in ("staffing", "training")}
PERIOD = "2026-Q2"  # the examples are written for this quarter


@dataclass
class Submitted:
    exit_code: int
    output: str
    receipt: dict | None


class Ciess:
    """`ciess ...` on one home folder, in-process through the real click command."""

    def __init__(self, home: Path):
        self.home = home
        self.runner = CliRunner()

    def run(self, *args: str):
        return self.runner.invoke(cli, ["--home", str(self.home), *map(str, args)], catch_exceptions=False)

    def submit(
        self, path: Path, institution: str = "AR-ANSES", kind: str = "training", period: str = PERIOD, *extra: str
    ) -> Submitted:
        result = self.run(
            "submit", path, "--institution", institution, "--kind", kind, "--period", period, "--json", *extra
        )
        receipt = json.loads(result.stdout) if result.exit_code in (0, 1) else None
        return Submitted(result.exit_code, result.output, receipt)


@pytest.fixture
def ciess(tmp_path: Path) -> Ciess:
    return Ciess(tmp_path / "home")


@pytest.fixture
def roster_accepted(ciess: Ciess) -> Ciess:
    """The example roster of AR-ANSES for 2026-Q2 is in, so training files can be checked against it."""
    result = ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing")
    assert result.receipt["status"] == "ACCEPTED"
    return ciess
