"""The naming rules of NAMING.md that a machine can check."""

from __future__ import annotations

import ast
from collections import defaultdict

from pipelines.common.paths import PROJECT_ROOT


def test_no_two_classes_share_a_name():
    """Two different things never share a class name (a reader finds each by its name)."""
    found: dict[str, list[str]] = defaultdict(list)
    for folder in ("pipelines", "sources"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    found[node.name.lstrip("_")].append(str(path.relative_to(PROJECT_ROOT)))
    shared = {name: places for name, places in found.items() if len(places) > 1}
    assert not shared, f"class names used for more than one thing: {shared}"


def test_no_grab_bag_modules():
    """A module is named for what it holds: no utils, helpers, misc, common.py, core."""
    vague = {"utils", "util", "helpers", "misc", "common", "core", "stuff", "tools"}
    modules = [p for p in (PROJECT_ROOT / "pipelines").rglob("*.py") if p.stem in vague]
    assert not modules, modules
