"""Contracts as data: schemas/<kind>/contract.yaml and schemas/rules.yaml, loaded once.

Everything that knows about columns, codes, rules, severities, header labels and messages reads
it from here; nothing else in the package spells a column or a message out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml
from babel.numbers import format_decimal

from pipelines.common.paths import SCHEMAS_DIR

LANGUAGES = ("en", "es", "pt", "fr")
KINDS = ("staffing", "training")


def normalise_header(text: str) -> str:
    """Header as compared: no accents, no case, only letters and digits."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def header_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", folded)
    return [word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word]


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    labels: dict[str, str]
    aliases: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # the codes of a code column, in the contract's order
    code_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> language -> label
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    min_length: int | None = None
    max_length: int | None = None
    default: Any = None
    pseudonymise: bool = False
    example: Any = None
    spellings: dict[str, str] = field(default_factory=dict)  # normalise_header(code or label) -> code

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]

    def code_label(self, code: str, lang: str) -> str:
        """What a person reads for one code of this column (the code itself when it has no label)."""
        labels = self.code_labels.get(code, {})
        return labels.get(lang) or labels.get("en") or code

    def header_names(self) -> list[str]:
        """Every spelling accepted for this column's header."""
        return [self.name, *self.labels.values(), *self.aliases]


@dataclass(frozen=True)
class CrossRule:
    """A row rule written as a pandas expression over typed columns (see the contract files)."""

    code: str
    column: str
    columns: tuple[str, ...]
    check: str
    expected: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per kind
class Contract:
    kind: str
    contract_version: str
    labels: dict[str, str]
    sheet_names: tuple[str, ...]
    sheet_titles: dict[str, str]  # language -> the template's data sheet name (one of sheet_names)
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    rules: tuple[CrossRule, ...]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def header_index(self) -> dict[str, str]:
        """Normalised header spelling -> canonical column name."""
        return _header_index(self)


@cache
def _header_index(contract: Contract) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in contract.columns:
        for spelling in column.header_names():
            key = normalise_header(spelling)
            owner = index.setdefault(key, column.name)
            if owner != column.name:
                raise ValueError(
                    f"contract {contract.kind}: header {spelling!r} would match both {owner} and {column.name}"
                )
    return index


def code_spellings(name: str, codes: tuple[str, ...], labels: dict[str, dict[str, str]]) -> dict[str, str]:
    """How a code of a column may be written, compared as headers are (`normalise_header`: no case,
    accents, spaces or punctuation): the code itself, its label in any of the four languages
    ("Femenino" is F, "administracion" is ADMINISTRATION) or both as the templates' drop-down lists
    write them (`choice`: "F — Femenino"). One spelling for two codes is refused."""
    found: dict[str, str] = {}
    for code in codes:
        written = labels.get(code, {}).values()
        for spelling in (code, *written, *(choice(code, label) for label in written)):
            key = normalise_header(spelling)
            owner = found.setdefault(key, code)
            if owner != code:
                raise ValueError(f"column {name}: {spelling!r} would mean both {owner} and {code}")
    return found


def choice(code: str, label: str) -> str:
    """A code with its label, as a template's drop-down list offers it."""
    return f"{code} — {label}"


def _load_yaml(path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _code(entry: str | dict) -> str:
    """A code as the contract lists it: `{code: PENSIONS, labels: {en: ..., ...}}` (or a bare code)."""
    return str(entry["code"] if isinstance(entry, dict) else entry)


def _column(item: dict) -> Column:
    entries = item.get("codes", ())
    codes = tuple(_code(entry) for entry in entries)
    labels = {_code(entry): dict(entry.get("labels") or {}) for entry in entries if isinstance(entry, dict)}
    return Column(
        name=item["name"],
        type=item["type"],
        required=bool(item["required"]),
        labels=dict(item["labels"]),
        aliases=tuple(item.get("aliases", ())),
        codes=codes,
        code_labels=labels,
        min=item.get("min"),
        max=item.get("max"),
        min_exclusive=bool(item.get("min_exclusive", False)),
        min_length=item.get("min_length"),
        max_length=item.get("max_length"),
        default=item.get("default"),
        pseudonymise=bool(item.get("pseudonymise", False)),
        example=item.get("example"),
        spellings=code_spellings(item["name"], codes, labels),
    )


@cache
def load_contract(kind: str) -> Contract:
    if kind not in KINDS:
        raise KeyError(f"unknown kind {kind!r}; the kinds are {', '.join(KINDS)}")
    raw = _load_yaml(SCHEMAS_DIR / kind / "contract.yaml")
    columns = tuple(_column(item) for item in raw["columns"])
    rules = tuple(
        CrossRule(
            code=item["code"],
            column=item["column"],
            columns=tuple(item["columns"]),
            check=item["check"],
            expected=dict(item.get("expected", {})),
        )
        for item in raw.get("rules", ())
    )
    contract = Contract(
        kind=raw["kind"],
        contract_version=str(raw["contract_version"]),
        labels=dict(raw["labels"]),
        sheet_names=tuple(raw.get("sheet_names", ())),
        sheet_titles=dict(raw.get("sheet_titles") or {}),
        key=tuple(raw["key"]),
        columns=columns,
        rules=rules,
    )
    _header_index(contract)  # refuse an ambiguous contract at load time
    unread = set(contract.sheet_titles.values()) - {*contract.sheet_names, contract.kind}
    if unread:
        raise ValueError(f"contract {kind}: sheet titles {sorted(unread)} are not among its sheet_names")
    return contract


@dataclass(frozen=True)
class RuleCatalog:
    rules: dict[str, dict]
    type_expectations: dict[str, dict[str, str]]
    range_words: dict[str, dict[str, str]]
    true_words: frozenset[str]
    false_words: frozenset[str]
    pii_header_words: frozenset[str]
    pii_header_phrases: tuple[str, ...]
    pii_header_exclusions: frozenset[str]
    details: dict[str, dict[str, str]]

    def detail(self, key: str, lang: str, **values: Any) -> str:
        """What a file-level refusal says of the file (rules.yaml `details`), in `lang`; whole numbers
        written as the language writes them (1,507 or 1.507)."""
        texts = self.details[key]
        shown = {name: format_decimal(value, locale=lang) if isinstance(value, int) else value
                 for name, value in values.items()}  # fmt: skip
        return (texts.get(lang) or texts["en"]).format_map(_Blank(shown))

    def severity(self, code: str) -> str:
        return self.rules[code]["severity"]

    def message(self, code: str, lang: str, variant: str | None = None, **values: Any) -> str:
        rule = self.rules[code]
        texts = rule["variants"][variant] if variant else rule["message"]
        template = texts.get(lang) or texts["en"]
        return template.format_map(_Blank(values))

    def expected_type(self, type_name: str, lang: str) -> str:
        texts = self.type_expectations[type_name]
        return texts.get(lang) or texts["en"]

    def range_text(self, word: str, lang: str, **values: Any) -> str:
        texts = self.range_words[word]
        return (texts.get(lang) or texts["en"]).format(**values)


class _Blank(dict):
    """format_map that leaves an unknown placeholder visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@cache
def rule_catalog() -> RuleCatalog:
    raw = _load_yaml(SCHEMAS_DIR / "rules.yaml")
    return RuleCatalog(
        rules=raw["rules"],
        type_expectations=raw["type_expectations"],
        range_words=raw["range_words"],
        true_words=frozenset(str(word) for word in raw["booleans"][True]),
        false_words=frozenset(str(word) for word in raw["booleans"][False]),
        pii_header_words=frozenset(raw["pii_header_words"]),
        pii_header_phrases=tuple(raw["pii_header_phrases"]),
        pii_header_exclusions=frozenset(raw["pii_header_exclusions"]),
        details=raw["details"],
    )
