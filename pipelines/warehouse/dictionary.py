"""The data dictionary: dbt's static documentation site, one HTML file at <home>/docs/data-dictionary.html.

`dbt docs generate --static` writes `static_index.html` into its target folder: the dbt docs app
with the manifest and the catalog inlined, so it opens from the file system, offline: every model,
seed and source with its description, its columns (types from the build database, descriptions
from the yml), its SQL and the lineage graph. The Dagster asset `data_dictionary` runs it after
every publish and installs the file here with one rename, so a reader never sees half of one.

It is made again only when the dbt project changed since the page in place was made
(`up_to_date`): a build that changes data only leaves it as it is.

The page loads nothing from the network unless dbt's anonymous usage statistics are on (then it
fetches a tracker from a CDN): the project turns them off (dbt_project.yml `flags`), and
`install` refuses a page generated with them on. Nothing here imports Dagster.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from importlib.metadata import version
from pathlib import Path

from pipelines.common.atomic import replace_text, replace_with
from pipelines.common.paths import DBT_PROJECT_DIR, REFERENCE_DIR
from pipelines.common.settings import Settings
from pipelines.warehouse import databases

STATIC_INDEX = "static_index.html"  # what `dbt docs generate --static` writes into its target folder


class DictionaryError(RuntimeError):
    """dbt did not write the page, or wrote one that would reach the network."""


class NoDictionary(Exception):
    """No build has published a data dictionary yet."""


def docs_dir(settings: Settings) -> Path:
    return settings.home / "docs"


def dictionary_path(settings: Settings) -> Path:
    return docs_dir(settings) / "data-dictionary.html"


def _fingerprint_path(settings: Settings) -> Path:
    return docs_dir(settings) / "data-dictionary.fingerprint"


def project_fingerprint() -> str:
    """What the page is made from, besides the home: the dbt project's files, the seeds and dbt's
    version. The page documents the models and the columns' types, which only these change."""
    digest = hashlib.sha256(version("dbt-core").encode())
    folders = [DBT_PROJECT_DIR / name for name in ("models", "macros", "tests")]
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml", *sorted(REFERENCE_DIR.glob("*"))]
    files += sorted(path for folder in folders for path in folder.rglob("*") if path.is_file())
    for path in files:
        digest.update(str(path.relative_to(DBT_PROJECT_DIR.parent)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def up_to_date(settings: Settings) -> bool:
    """Whether the page in place was made from the dbt project as it is now (dbt docs generate takes
    about 7 s, most of a no-op build's time, to write the same page again)."""
    fingerprint = _fingerprint_path(settings)
    return (
        dictionary_path(settings).is_file()
        and fingerprint.is_file()
        and fingerprint.read_text(encoding="utf-8") == project_fingerprint()
    )


def docs_generate_args(settings: Settings) -> list[str]:
    """The dbt command: the same `--vars` as the build, so dbt reads the build database of this home."""
    return ["docs", "generate", "--static", "--vars", json.dumps(databases.dbt_vars(settings))]


def install(target_path: Path, settings: Settings) -> Path:
    """Put the page dbt wrote into `target_path` in place of the data dictionary, in one rename."""
    page = target_path / STATIC_INDEX
    if not page.is_file():
        raise DictionaryError(f"dbt wrote no {STATIC_INDEX} in {target_path}")
    manifest = json.loads((target_path / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("metadata", {}).get("send_anonymous_usage_stats") is not False:
        raise DictionaryError(
            "dbt's anonymous usage statistics are on: the page would load a tracker from a CDN; "
            "set `flags: send_anonymous_usage_stats: false` in dbt_project.yml"
        )
    path = dictionary_path(settings)
    replace_with(path, lambda temporary: shutil.copy(page, temporary))  # its mode too: readable by analysts
    replace_text(_fingerprint_path(settings), project_fingerprint())
    return path


def published_dictionary(settings: Settings) -> Path:
    """The data dictionary of the last publish (NoDictionary before the first)."""
    path = dictionary_path(settings)
    if not path.is_file():
        raise NoDictionary(f"no data dictionary in {docs_dir(settings)} yet: `ciess build` publishes one")
    return path
