"""Shared fixtures: every test gets its own home folder; the CLI is driven as a user types it.

A warehouse build (`ciess build`) takes seconds, so the built homes that tests start from are
built once per run (`example_home`, `sample`) and every test gets a copy of its own (`copy_home`).
Tests that need one are marked `warehouse` (`make test-fast` leaves them out).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock

from pipelines.cli.main import cli
from pipelines.common.paths import SCHEMAS_DIR
from pipelines.common.periods import Period
from pipelines.common.settings import Settings
from pipelines.common.spreadsheet_safe import csv_separator
from pipelines.intake.receipts import ISSUE_FIELDS, issues_csv_headers
from pipelines.intake.storing.ledger import Ledger

EXAMPLES = {kind: SCHEMAS_DIR / kind / "examples" for kind in ("staffing", "training")}
PERIOD = "2026-Q2"  # the examples are written for this quarter
# The generated sample of `sample`: a few institutions of three subregions, two quarters.
SAMPLE_INSTITUTIONS = ["AR-ANSES", "BR-INSS", "CL-IPS", "UY-BPS", "BO-CNS", "PE-ONP", "HT-ONA"]
SAMPLE_PERIODS = [Period(2026, 1), Period(2026, 2)]


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
        # exit 1 without a receipt: the home folder refused the file as a whole (full disk, no ledger...)
        receipt = json.loads(result.stdout) if result.exit_code in (0, 1) and result.stdout.strip() else None
        return Submitted(result.exit_code, result.output, receipt)


POSTGRES = os.environ.get("CIESS_TEST_POSTGRES_URL")  # set by .ci/with-postgres: the PostgreSQL lane


@pytest.fixture(autouse=True)
def database(request, monkeypatch) -> str | None:
    """In the PostgreSQL lane (`make test-postgres`), every test gets a database of its own, which
    every home of the test uses (CIESS_DATABASE_URL); else None, and homes keep SQLite files."""
    if not POSTGRES or "sqlite_only" in request.keywords:
        monkeypatch.delenv("CIESS_DATABASE_URL", raising=False)
        yield None
        return
    import psycopg

    name = f"t_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = POSTGRES.rsplit("/", 1)[0] + "/" + name
    monkeypatch.setenv("CIESS_DATABASE_URL", url)
    yield url
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def postgres_database(database) -> str:
    """The test's PostgreSQL database; the test is skipped outside the PostgreSQL lane."""
    if database is None:
        pytest.skip("needs PostgreSQL: run `make test-postgres`")
    return database


def ledger_of(home: Path) -> Ledger:
    """The ledger of a home, on the backend the test runs on."""
    return Ledger.of(Settings.from_env(home))


@pytest.fixture
def ciess(tmp_path: Path) -> Ciess:
    return Ciess(tmp_path / "home")


@pytest.fixture
def roster_accepted(ciess: Ciess) -> Ciess:
    """The example roster of AR-ANSES for 2026-Q2 is in, so training files can be checked against it."""
    result = ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing")
    assert result.receipt["status"] == "ACCEPTED"
    return ciess


BUILT_HOMES = {"example_home", "sample"}  # the session fixtures that build a warehouse


def pytest_collection_modifyitems(config, items):
    """A test that starts from a built home must be marked `warehouse`, so that `make test-fast`
    (`-m "not warehouse"`) leaves every build out. The warehouse tests that build from an empty
    home run first: they are the longest, and under pytest-xdist one worker runs them while the
    other builds the shared homes and runs the rest."""
    unmarked = [item.nodeid for item in items if _uses_built_home(item) and not item.get_closest_marker("warehouse")]
    if unmarked:
        raise pytest.UsageError(f"mark `@pytest.mark.warehouse` (they need a built warehouse): {', '.join(unmarked)}")
    items.sort(key=lambda item: not (item.get_closest_marker("warehouse") and not _uses_built_home(item)))


def _uses_built_home(item: pytest.Item) -> bool:
    return bool(BUILT_HOMES & set(getattr(item, "fixturenames", ())))


def _made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder that `make` fills once for the whole run. Under pytest-xdist the first worker that
    asks makes it and the others wait for it (pytest-xdist: "Making session-scoped fixtures execute
    only once"); a folder left half-made by a failure is made again."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this run
    folder, done = root / name, root / f"{name}.done"
    with FileLock(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


def read_issues_csv(path: Path, lang: str) -> list[dict[str, str]]:
    """The full list of issues as a spreadsheet program in `lang`'s convention reads it (separator and
    headers checked), each record keyed by the receipt's field names."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        records = csv.reader(handle, delimiter=csv_separator(lang))
        assert next(records) == issues_csv_headers(lang)
        return [dict(zip(ISSUE_FIELDS, record, strict=True)) for record in records]


def copy_home(home: Path, tmp_path: Path) -> Ciess:
    """A copy of a built home for one test, to change at will (ledger, lake, warehouse, Dagster
    instance and secrets are all inside the home folder)."""
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    return Ciess(copy)


@pytest.fixture(scope="session")
def example_home(tmp_path_factory) -> Path:
    """Built once: AR-ANSES's example roster and training file of 2026-Q2 accepted, `ciess build`
    run and published. Never changed: tests take a copy (`copy_home`)."""

    def make(folder: Path) -> None:
        ciess = Ciess(folder / "home")
        for kind in ("staffing", "training"):
            assert ciess.submit(EXAMPLES[kind] / "valid.csv", kind=kind).receipt["status"] == "ACCEPTED"
        result = ciess.run("build")
        assert result.exit_code == 0, result.output
        assert "Published:" in result.stdout

    return _made_once(tmp_path_factory, "example-home", make) / "home"


@dataclass(frozen=True)
class Sample:
    home: Path
    current: dict[tuple[str, str, str], Path]  # (institution, kind, period) -> file of its newest accepted version


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Sample:
    """Built once: a generated sample of SAMPLE_INSTITUTIONS x SAMPLE_PERIODS (every file, in the
    order and at the moments it was generated for, through the intake), `ciess build` run and
    published. Never changed: tests take a copy (`copy_home`)."""
    from pipelines.common.settings import Settings
    from pipelines.intake.submission import submit
    from sources.generator import generate

    def make(folder: Path) -> None:
        settings = Settings.from_env(folder / "home")
        current = {}
        for planned in generate(folder / "samples", periods=SAMPLE_PERIODS, scale=0.004,
                                institutions=SAMPLE_INSTITUTIONS):  # fmt: skip
            result = submit(planned.path, planned.institution, planned.kind, planned.period, settings,
                            received_at=planned.received_at)  # fmt: skip
            if result.status.startswith("ACCEPTED"):
                current[(planned.institution, planned.kind, planned.period)] = str(planned.path)
        assert Ciess(settings.home).run("build").exit_code == 0
        (folder / "current.json").write_text(json.dumps([[*key, path] for key, path in current.items()]))

    folder = _made_once(tmp_path_factory, "sample", make)
    rows = json.loads((folder / "current.json").read_text())
    return Sample(folder / "home", {tuple(row[:3]): Path(row[3]) for row in rows})
