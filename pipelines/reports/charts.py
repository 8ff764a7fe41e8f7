"""Charts of a report as inline SVG (matplotlib, glyphs as paths): nothing fetched at view time."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

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


def coverage_by_institution(rows: list[dict[str, Any]], words: Words) -> str:
    shown = [row for row in rows if row["training_coverage"] is not None]
    shown.sort(key=lambda row: row["training_coverage"])
    figure, axes = plt.subplots(figsize=(7.2, 0.25 * max(len(shown), 4) + 0.8))
    labels = [row["institution_code"] for row in shown]
    axes.barh(labels, [row["training_coverage"] for row in shown], color=BLUE)
    _percent_axis(axes.xaxis, words)
    axes.set_title(words("chart_coverage"), loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def trend(rows: list[dict[str, Any]], words: Words) -> str:
    figure, left = plt.subplots(figsize=(7.2, 2.8))
    periods = [row["period"] for row in rows]
    coverage = [row["training_coverage"] for row in rows]
    hours = [row["hours_per_employee"] for row in rows]
    left.plot(periods, coverage, marker="o", color=BLUE, label=words.measure("training_coverage"))
    _percent_axis(left.yaxis, words)
    left.set_ylim(bottom=0)
    right = left.twinx()
    right.plot(periods, hours, marker="s", color=ORANGE, label=words.measure("hours_per_employee"))
    right.yaxis.set_major_formatter(FuncFormatter(lambda value, _: words.number(value, 1)))
    right.set_ylim(bottom=0)
    lines = left.get_lines() + right.get_lines()
    left.legend(lines, [line.get_label() for line in lines], loc="lower left", frameon=False)
    left.set_title(words("chart_trend"), loc="left")
    return _svg(figure)


def hours_by_theme(rows: list[dict[str, Any]], words: Words) -> str:
    rows = sorted(rows, key=lambda row: row["completed_hours"] or 0)
    figure, axes = plt.subplots(figsize=(7.2, 0.3 * max(len(rows), 3) + 0.8))
    axes.barh([row["thematic_area"] for row in rows], [row["completed_hours"] or 0 for row in rows], color=GREY)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: words.number(value)))
    axes.set_title(words("chart_themes"), loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)
