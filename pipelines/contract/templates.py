"""Templates an institution fills in: an XLSX per kind (headers, sheet names, instructions and
examples in its language; a drop-down list for every code column offering "code — label", which
refuses anything else; date and number formats) and a CSV, both derived from the contract in
schemas/. What a drop-down writes is read back as its code (`Column.spellings`)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from pipelines.common.spreadsheet_safe import csv_separator
from pipelines.common.texts import Texts
from pipelines.contract.model import Column, Contract, choice, rule_catalog

TEMPLATE_ROWS = 5000  # rows prepared with formats and drop-down lists
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "decimal": "0.00", "integer": "0", "text": "@", "code": "@"}
TEMPLATE_TEXTS = Texts(Path(__file__).with_name("template_text.yaml"))


def _say(key: str, lang: str, **values: str):
    return TEMPLATE_TEXTS.say(key, lang, **values)


def boolean_choices(lang: str) -> list[str]:
    return TEMPLATE_TEXTS.say("boolean_choices", lang)


def choices(column: Column, lang: str) -> list[str]:
    """What the column's drop-down list offers in `lang`: "code — label" for a code column, the
    language's yes and no for a boolean one, nothing for the others."""
    if column.codes:
        return [choice(code, column.code_label(code, lang)) for code in column.codes]
    if column.type == "boolean":
        return boolean_choices(lang)
    return []


def _allowed(column: Column, lang: str) -> str:
    if column.codes or column.type == "boolean":
        return " ; ".join(choices(column, lang))
    if column.min is not None or column.max is not None:
        low = "" if column.min is None else ("> " if column.min_exclusive else ">= ") + f"{column.min:g}"
        high = "" if column.max is None else f"<= {column.max:g}"
        return " ; ".join(part for part in (low, high) if part)
    if column.max_length:
        return f"1-{column.max_length}"
    return ""


def example(column: Column, lang: str) -> str:
    """The contract's example, as it is written in this language's template (a text example may be
    given per language)."""
    if column.example is None:
        return ""
    if isinstance(column.example, dict):
        return str(column.example.get(lang) or column.example["en"])
    if column.codes:
        return choice(str(column.example), column.code_label(str(column.example), lang))
    if column.type == "boolean":
        yes, no = boolean_choices(lang)
        return yes if str(column.example).lower() in rule_catalog().true_words else no
    return str(column.example)


def sheet_title(contract: Contract, lang: str) -> str:
    return contract.sheet_titles.get(lang) or contract.kind


def _refusing_list(source: str, column: Column, lang: str) -> DataValidation:
    """A drop-down list that stops a value not in it, saying so in `lang`."""
    validation = DataValidation(type="list", formula1=source, allow_blank=not column.required,
                                showErrorMessage=True, errorStyle="stop", showInputMessage=True)  # fmt: skip
    validation.errorTitle = _say("refused_title", lang)[:32]  # Excel's limit for a title
    validation.error = _say("refused", lang, column=column.label(lang))
    validation.promptTitle = column.label(lang)[:32]
    validation.prompt = _say("pick_one", lang)
    return validation


def xlsx_template(contract: Contract, lang: str) -> bytes:
    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = sheet_title(contract, lang)  # one of the contract's sheet_names: the reader picks it
    lists = workbook.create_sheet(_say("lists_sheet", lang))
    lists.sheet_state = "hidden"
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    for index, column in enumerate(contract.columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=column.label(lang))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        offered = choices(column, lang)
        widest = max([len(column.label(lang)), *(len(text) for text in offered)])
        data.column_dimensions[letter].width = min(max(14, widest + 4), 60)
        if offered:
            for row, text in enumerate(offered, start=1):
                lists.cell(row=row, column=index, value=text)
            source = f"{quote_sheetname(lists.title)}!${letter}$1:${letter}${len(offered)}"
            validation = _refusing_list(source, column, lang)
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
            data.add_data_validation(validation)
        for row in range(2, TEMPLATE_ROWS + 1):
            data.cell(row=row, column=index).number_format = NUMBER_FORMATS.get(column.type, "General")
    data.freeze_panes = "A2"

    guide = workbook.create_sheet(_say("instructions_sheet", lang))
    guide["A1"] = _say("title", lang)
    guide["A1"].font = Font(bold=True, size=13)
    guide["A2"] = _say("intro", lang, sheet=data.title)
    guide["A3"] = _say("codes", lang)
    guide.append([])
    guide.append(_say("columns", lang))
    for cell in guide[5]:
        cell.font = Font(bold=True)
    catalog = rule_catalog()
    for column in contract.columns:
        guide.append([
            column.label(lang),
            column.name,
            catalog.expected_type(column.type, lang),
            _say("yes" if column.required else "no", lang),
            _allowed(column, lang),
            example(column, lang),
        ])  # fmt: skip
    for letter, width in zip("ABCDEF", (28, 22, 40, 12, 70, 34), strict=True):
        guide.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_template(contract: Contract, lang: str) -> bytes:
    """The header row in the institution's language, separated as its spreadsheet program expects
    (`csv_separator`), UTF-8 with BOM so that Excel shows accents."""
    header = csv_separator(lang).join(f'"{column.label(lang)}"' for column in contract.columns)
    return (header + "\r\n").encode("utf-8-sig")
