"""Templates an institution fills in: an XLSX per kind (headers in its language, drop-down lists
for every code column, date and number formats, an instructions sheet) and a CSV, both derived
from the contract in schemas/."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from pipelines.common.texts import Texts
from pipelines.contract.model import Contract, rule_catalog

TEMPLATE_ROWS = 5000  # rows prepared with formats and drop-down lists
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "decimal": "0.00", "integer": "0", "text": "@", "code": "@"}
TEMPLATE_TEXTS = Texts(Path(__file__).with_name("template_text.yaml"))


def _say(key: str, lang: str, **values: str):
    return TEMPLATE_TEXTS.say(key, lang, **values)


def boolean_choices(lang: str) -> list[str]:
    return TEMPLATE_TEXTS.say("boolean_choices", lang)


def _allowed(column, lang: str) -> str:
    if column.codes:
        return ", ".join(column.codes)
    if column.type == "boolean":
        return " / ".join(boolean_choices(lang))
    if column.min is not None or column.max is not None:
        low = "" if column.min is None else ("> " if column.min_exclusive else ">= ") + f"{column.min:g}"
        high = "" if column.max is None else f"<= {column.max:g}"
        return " ; ".join(part for part in (low, high) if part)
    if column.max_length:
        return f"1-{column.max_length}"
    return ""


def xlsx_template(contract: Contract, lang: str) -> bytes:
    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = contract.kind  # the reader picks the sheet named like the kind
    lists = workbook.create_sheet("lists")
    lists.sheet_state = "hidden"
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    for index, column in enumerate(contract.columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=column.label(lang))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        data.column_dimensions[letter].width = max(14, len(column.label(lang)) + 4)
        choices = list(column.codes) or (boolean_choices(lang) if column.type == "boolean" else [])
        if choices:
            for row, choice in enumerate(choices, start=1):
                lists.cell(row=row, column=index, value=choice)
            source = f"{quote_sheetname('lists')}!${letter}$1:${letter}${len(choices)}"
            validation = DataValidation(type="list", formula1=source, allow_blank=not column.required)
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
            data.add_data_validation(validation)
        for row in range(2, TEMPLATE_ROWS + 1):
            data.cell(row=row, column=index).number_format = NUMBER_FORMATS.get(column.type, "General")
    data.freeze_panes = "A2"

    guide = workbook.create_sheet(
        "instructions" if lang == "en" else {"es": "instrucciones", "pt": "instrucoes", "fr": "instructions"}[lang]
    )
    guide["A1"] = _say("title", lang)
    guide["A1"].font = Font(bold=True, size=13)
    guide["A2"] = _say("intro", lang, sheet=contract.kind)
    guide.append([])
    guide.append(_say("columns", lang))
    for cell in guide[4]:
        cell.font = Font(bold=True)
    catalog = rule_catalog()
    for column in contract.columns:
        guide.append([
            column.label(lang),
            column.name,
            catalog.expected_type(column.type, lang),
            _say("yes" if column.required else "no", lang),
            _allowed(column, lang),
            str(column.example) if column.example is not None else "",
        ])  # fmt: skip
    for letter, width in zip("ABCDEF", (28, 22, 40, 12, 60, 30), strict=True):
        guide.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_template(contract: Contract, lang: str) -> bytes:
    """The header row in the institution's language, UTF-8 with BOM so that Excel shows accents."""
    header = ",".join(f'"{column.label(lang)}"' for column in contract.columns)
    return (header + "\r\n").encode("utf-8-sig")
