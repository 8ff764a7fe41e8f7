"""The words of the product's YAML text files (portal, receipt, reports, templates), looked up one way:
`key: {en: ..., es: ..., pt: ..., fr: ...}` (keys may be grouped: `group.key`), English when a
language has no text, `{name}` filled in when values are given. The contracts' own labels and
messages are read by `pipelines.contract.model`."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml


@cache
def _load(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class Texts:
    """The texts of one file (the portal's pages, the receipt, a report...)."""

    def __init__(self, path: Path):
        self.path = path

    def entry(self, key: str) -> Any:
        found: Any = _load(self.path)
        for part in key.split("."):
            if not isinstance(found, dict) or part not in found:
                raise KeyError(f"no text {key!r} in {self.path}")
            found = found[part]
        return found

    def say(self, key: str, lang: str, **values: Any) -> Any:
        """The text in `lang` (English if it has none); strings get `values` filled in."""
        texts = self.entry(key)
        text = texts.get(lang) or texts["en"]
        return text.format(**values) if values and isinstance(text, str) else text
