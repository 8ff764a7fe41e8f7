"""Charts of a report as inline SVG (matplotlib, glyphs as paths): nothing fetched at view time."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, MaxNLocator

from pipelines.reports.wording import Words

matplotlib.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "ciess", "font.size": 9})
BLUE, GREY, ORANGE = "#1f5f8b", "#9aa5b1", "#d9822b"


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _percent_axis(axis, words: Words) -> None:
    axis.set_major_formatter(FuncFormatter(lambda value, _: words.value("training_coverage", value)))


def coverage_by_institution(rows: list[dict[str, Any]], words: Words, whole: float | None, geo: str) -> str:
    """Coverage per institution, each named with its headcount, against the geo as a whole (a
    dashed line); an institution without a figure is written out as having no data, so that 0% and
    missing are told apart."""
    rows = sorted(rows, key=lambda row: (row["training_coverage"] is not None, row["training_coverage"] or 0))
    figure, axes = plt.subplots(figsize=(7.2, 0.26 * max(len(rows), 4) + 0.9))
    labels = [
        f"{row['institution_code']} ({words('headcount_short', count=words.number(row['headcount']))})" for row in rows
    ]
    values = [row["training_coverage"] or 0 for row in rows]
    axes.barh(labels, values, color=BLUE)
    top = max([*values, whole or 0, 0.01])
    for position, row in enumerate(rows):
        known = row["training_coverage"] is not None
        text = words.value("training_coverage", row["training_coverage"]) if known else words("no_data")
        axes.text((row["training_coverage"] or 0) + top * 0.01, position, text, va="center", fontsize=7,
                  color="#1d2733" if known else "#b42318", style="normal" if known else "italic")  # fmt: skip
    if whole is not None:
        axes.axvline(whole, color=ORANGE, linestyle="--", linewidth=1.2)
        axes.text(whole, len(rows) - 0.4, f" {words.geo(geo)}: {words.value('training_coverage', whole)}",
                  color=ORANGE, fontsize=7, va="bottom")  # fmt: skip
    axes.set_xlim(0, top * 1.18)
    _percent_axis(axes.xaxis, words)
    axes.set_xlabel(words("axis_coverage"))
    axes.set_title(words("chart_coverage"), loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def trend(rows: list[dict[str, Any]], words: Words) -> str:
    """Two small panels side by side, one measure each, with titled axes (no second y-axis)."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(7.2, 2.4))
    periods = [row["period"] for row in rows]
    left.plot(periods, [row["training_coverage"] for row in rows], marker="o", color=BLUE)
    _percent_axis(left.yaxis, words)
    left.set_title(words.measure("training_coverage"), loc="left", fontsize=9)
    left.set_ylabel(words("axis_coverage"))
    right.plot(periods, [row["hours_per_employee"] for row in rows], marker="s", color=ORANGE)
    right.yaxis.set_major_formatter(FuncFormatter(lambda value, _: words.number(value, 1)))
    right.set_title(words.measure("hours_per_employee"), loc="left", fontsize=9)
    right.set_ylabel(words("axis_hours"))
    for axes in (left, right):
        axes.set_ylim(bottom=0)
        axes.set_xlabel(words("axis_quarter"))
        axes.tick_params(axis="x", labelrotation=30, labelsize=7)
        axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return _svg(figure)


def hours_by_theme(rows: list[dict[str, Any]], words: Words) -> str:
    rows = sorted(rows, key=lambda row: row["completed_hours"] or 0)
    figure, axes = plt.subplots(figsize=(7.2, 0.26 * max(len(rows), 3) + 0.8))
    labels = [words.label("thematic_area", row["thematic_area"]) for row in rows]
    axes.barh(labels, [row["completed_hours"] or 0 for row in rows], color=GREY)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: words.number(value)))
    axes.set_xlabel(words("axis_completed_hours"))
    axes.set_title(words("chart_themes"), loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def peer_trend(rows: list[dict[str, Any]], measure: str, percent: bool) -> str:
    """One measure of an institution over the last quarters (a line), its peers' median (dashed)
    and their quartiles (a band): the feedback report's trend. No words in the picture, so that one
    drawing serves every language (the title and legend are the page's): shares are drawn in
    percentage points, other values with whole-number ticks; quarters are written YYYY-Qn."""
    scale = 100 if percent else 1
    periods = [row["period"] for row in rows]
    own = [_scaled(row["own"].get(measure), scale) for row in rows]
    peers = [row["peers"].get(measure) or {} for row in rows]
    figure, axes = plt.subplots(figsize=(2.5, 1.9))
    low = [_scaled(p.get("q1"), scale) for p in peers]
    high = [_scaled(p.get("q3"), scale) for p in peers]
    axes.fill_between(periods, low, high, color=GREY, alpha=0.35, linewidth=0)
    axes.plot(periods, [_scaled(p.get("median"), scale) for p in peers], color=ORANGE, linestyle="--", linewidth=1.3)
    axes.plot(periods, own, color=BLUE, marker="o", markersize=3.5, linewidth=1.6)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    axes.tick_params(axis="x", labelrotation=45, labelsize=6.5)
    axes.tick_params(axis="y", labelsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def _scaled(value: float | None, scale: float) -> float:
    return float("nan") if value is None else value * scale
