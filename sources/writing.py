"""How an institution writes its files: its layout (format, encoding, headers...) and the CSV and
XLSX rendering of a table in that layout, with fixed XLSX timestamps."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import openpyxl
from openpyxl.writer.excel import ExcelWriter

from pipelines.common.registry import Institution
from pipelines.contract.model import load_contract, normalise_header
from sources import catalogue as cat
from sources.draws import pick


@dataclass(frozen=True)
class Layout:
    format: str = "csv"  # csv | xlsx
    headers: str = "name"  # "name": canonical column names; else a language of the contract's labels
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | cp1252
    delimiter: str = ","
    newline: str = "\n"
    dates: str = "%Y-%m-%d"
    decimal: str = "."
    booleans: tuple[str, str] = ("true", "false")
    title: bool = False  # XLSX: a title row and a blank row above the header
    named_sheet: bool = False  # XLSX: an instructions sheet first, the data on a sheet named like the kind
    omit: tuple[str, ...] = ()  # optional columns not sent

    @property
    def extension(self) -> str:
        return ".xlsx" if self.format == "xlsx" else ".txt" if self.delimiter == "\t" else ".csv"

    def describe(self) -> str:
        headers = "canonical column names" if self.headers == "name" else f"{cat.LANGUAGE_NAMES[self.headers]} headers"
        dates = {"%Y-%m-%d": "ISO dates", "%d/%m/%Y": "DD/MM/YYYY dates", "%d-%m-%Y": "DD-MM-YYYY dates"}[self.dates]
        if self.format == "xlsx":
            parts = ["XLSX", headers, f"date cells ({dates.split()[0]})"]
            parts += ["title row and blank row above the header"] * self.title
            parts += ["data on a named sheet after an instructions sheet"] * self.named_sheet
        else:
            encoding = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}[self.encoding]
            delimiter = {",": "','", ";": "';'", "\t": "tab-delimited"}[self.delimiter]
            parts = [f"CSV {encoding}", delimiter, headers, dates]
            parts += ["decimal commas"] * (self.decimal == ",") + ["CRLF"] * (self.newline == "\r\n")
        parts += [f"without {', '.join(self.omit)}"] * bool(self.omit)
        return ", ".join(parts)


def _layout(institution: Institution, rng: random.Random) -> Layout:
    lang = institution.language
    words = cat.BOOLEAN_WORDS[lang]
    style = pick(rng, cat.FILE_STYLE_MIX[lang])
    if style == "xlsx" and institution.approx_staff > 20000:
        style = "template"  # large institutions export from an HR system, not from Excel
    if style == "template":
        return Layout(encoding=rng.choice(["utf-8", "utf-8", "utf-8-sig"]), newline=rng.choice(["\n", "\r\n"]))
    if style == "labels":
        return Layout(headers="en", newline="\r\n", booleans=words, dates=rng.choice(["%Y-%m-%d", "%d/%m/%Y"]))
    if style == "tab":
        return Layout(
            headers=lang if lang in ("pt", "fr") else rng.choice(["name", lang]),
            encoding=rng.choice(["utf-8", "utf-8-sig"]),
            delimiter="\t",
            newline="\r\n",
            dates=rng.choice(["%Y-%m-%d", "%d-%m-%Y"]),
            booleans=words,
        )
    if style == "excel":
        encoding = "cp1252" if lang == "es" and rng.random() < 0.8 else rng.choice(["utf-8-sig", "utf-8"])
        return Layout(
            headers=lang,
            encoding=encoding,
            delimiter=";",
            newline="\r\n",
            dates="%d/%m/%Y",
            decimal=",",
            booleans=words,
        )
    return Layout(
        format="xlsx",
        headers=lang,
        dates=rng.choice(["%d/%m/%Y", "%Y-%m-%d"]),
        booleans=words,
        title=rng.random() < 0.7,
        named_sheet=rng.random() < 0.3,
    )


def institution_layouts(institution: Institution, seed: int) -> dict[str, Layout]:
    rng = random.Random(f"{seed}:{institution.code}:layout")
    base = _layout(institution, rng)
    staffing_omit = ("fte",) if rng.random() < 0.15 else ()
    training_omit = ("pre_score", "post_score") * (rng.random() < 0.15) + ("cost_local",) * (rng.random() < 0.25)
    return {"staffing": replace(base, omit=staffing_omit), "training": replace(base, omit=training_omit)}


@dataclass
class Table:
    columns: list[str]  # the contract's column names, or the key of an extra column
    headers: list[str]
    rows: list[dict[str, Any]]

    def add_column(self, key: str, header: str, values: list[Any], after: str | None = None) -> None:
        position = self.columns.index(after) + 1 if after else len(self.columns)
        self.columns.insert(position, key)
        self.headers.insert(position, header)
        for row, value in zip(self.rows, values, strict=True):
            row[key] = value

    def drop_column(self, key: str) -> None:
        position = self.columns.index(key)
        del self.columns[position], self.headers[position]


def _cell_text(value: Any, layout: Layout) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return layout.booleans[0] if value else layout.booleans[1]
    if isinstance(value, date):
        return value.strftime(layout.dates)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", layout.decimal)
    return str(value)


def csv_records(table: Table, layout: Layout) -> list[str]:
    """The header and each row as CSV text, one string per record (a record may hold line breaks)."""
    records = []
    for cells in [table.headers, *([_cell_text(row.get(key), layout) for key in table.columns] for row in table.rows)]:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=layout.delimiter, lineterminator=layout.newline).writerow(cells)
        records.append(buffer.getvalue())
    return records


def _xlsx_value(value: Any, layout: Layout) -> Any:
    if isinstance(value, bool):
        return layout.booleans[0] if value else layout.booleans[1]
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return value


def xlsx_bytes(table: Table, layout: Layout, kind: str, lang: str, title: str, stamp: datetime) -> bytes:
    contract = load_contract(kind)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    label = contract.labels.get(lang, contract.labels["en"])
    if layout.named_sheet:
        # the reader takes the sheet named like the kind over the first one
        name = next((n for n in contract.sheet_names if normalise_header(n) in normalise_header(label)), kind)
        sheet.title = cat.INSTRUCTIONS_SHEET[lang]
        sheet.append([cat.INSTRUCTIONS[lang].format(sheet=name.capitalize())])
        sheet = workbook.create_sheet(name.capitalize())
    else:
        sheet.title = label[:31]
    if layout.title:
        sheet.append([title])
        sheet.append([])
    sheet.append(table.headers)
    number_format = {"%d/%m/%Y": "DD/MM/YYYY", "%Y-%m-%d": "YYYY-MM-DD"}.get(layout.dates, "DD/MM/YYYY")
    # rows and width counted here: openpyxl's max_row and max_column look at every cell, which made
    # a sheet of n rows cost n^2
    row_number, width = sheet.max_row, sheet.max_column
    for row in table.rows:
        values = [_xlsx_value(row.get(key), layout) for key in table.columns]
        sheet.append(values)
        row_number, width = row_number + 1, max(width, len(values))
        for column in range(1, width + 1):
            cell = sheet.cell(row=row_number, column=column)
            if isinstance(cell.value, datetime):
                cell.number_format = number_format
    naive = stamp.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    workbook.properties.created = workbook.properties.modified = naive
    workbook.properties.creator = workbook.properties.lastModifiedBy = "Microsoft Excel"
    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()  # save_workbook stamps now()
    return _fixed_zip_times(buffer.getvalue(), naive)


def _fixed_zip_times(data: bytes, stamp: datetime) -> bytes:
    """zipfile stamps each member with the current time; rewrite them with a fixed one."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, source.read(info.filename))
    return out.getvalue()
