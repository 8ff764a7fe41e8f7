"""Matching a file's header row to the contract's columns.

Headers match case-, accent-, space- and underscore-insensitively against the canonical names,
their en/es/pt/fr labels and aliases (all from the contract). The result says which file column
feeds which contract column, and the file-level issues: COLUMN_MISSING, COLUMN_DUPLICATE,
PII_COLUMN, COLUMN_UNKNOWN. A file whose header is another kind's gets one COLUMN_MISSING that says
so ("this looks like a training file") instead of an issue per column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.contract.issues import Issue
from pipelines.contract.model import KINDS, Contract, header_words, load_contract, normalise_header, rule_catalog


@dataclass
class HeaderMap:
    positions: dict[str, int] = field(default_factory=dict)  # canonical column -> position in the file
    issues: list[Issue] = field(default_factory=list)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+[0-9][0-9 ()\-.]{6,}$")


def looks_like_pii(header: str, values: list) -> bool:
    """A header naming a personal identifier, or values that are e-mails or phone numbers."""
    catalog = rule_catalog()
    words, key = header_words(header), normalise_header(header)
    named = key in catalog.pii_header_words or any(word in catalog.pii_header_words for word in words)
    named = named or any(phrase in key for phrase in catalog.pii_header_phrases)
    if named and not any(word in catalog.pii_header_exclusions for word in words):
        return True
    texts = [str(value).strip() for value in values if value not in (None, "")]
    matching = sum(1 for text in texts if _EMAIL.match(text) or _PHONE.match(text))
    return bool(texts) and matching * 2 >= len(texts)


def map_headers(headers: list[str], contract: Contract, has_data: list[bool], samples: list[list]) -> HeaderMap:
    """`samples[i]`: a few values of the file's column i (to recognise identifiers by their content)."""
    index = contract.header_index
    result = HeaderMap()
    seen: dict[str, list[int]] = {}
    for position, header in enumerate(headers):
        key = normalise_header(header)
        canonical = index.get(key) if key else None
        if canonical:
            seen.setdefault(canonical, []).append(position)
        elif looks_like_pii(header, samples[position]):
            label = header or f"#{position + 1}"
            result.issues.append(Issue("PII_COLUMN", column=label, params={"header": label}))
        elif not key:
            if has_data[position]:
                result.issues.append(Issue("COLUMN_UNKNOWN", params={"header": f"#{position + 1}"}))
        else:
            result.issues.append(Issue("COLUMN_UNKNOWN", column=header, params={"header": header}))
    for canonical, positions in seen.items():
        result.positions[canonical] = positions[0]
        if len(positions) > 1:
            quoted = ", ".join(f'"{headers[p]}"' for p in positions)
            result.issues.append(Issue("COLUMN_DUPLICATE", column=canonical, params={"headers": quoted}))
    for column in contract.columns:
        if column.required and column.name not in seen:
            result.issues.append(Issue("COLUMN_MISSING", column=column.name))
    other = other_kind(headers, contract, seen)
    if other:
        kept = [issue for issue in result.issues if issue.rule not in ("COLUMN_MISSING", "COLUMN_UNKNOWN")]
        result.issues = [Issue("COLUMN_MISSING", variant="other_kind", params={"other_kind": other}), *kept]
    return result


def other_kind(headers: list[str], contract: Contract, seen: dict[str, list[int]]) -> str | None:
    """The kind whose contract the header is, when it is not this one's: every required column of
    the other kind is there, and most of this kind's required columns are not."""
    required = [column.name for column in contract.columns if column.required]
    if 2 * sum(name in seen for name in required) > len(required):
        return None
    keys = {normalise_header(header) for header in headers}
    for kind in KINDS:
        if kind == contract.kind:
            continue
        theirs = load_contract(kind)
        found = {theirs.header_index.get(key) for key in keys}
        if all(column.name in found for column in theirs.columns if column.required):
            return kind
    return None
