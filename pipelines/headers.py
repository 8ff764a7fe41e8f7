"""Matching a file's header row to the contract's columns.

Headers match case-, accent-, space- and underscore-insensitively against the canonical names,
their en/es/pt/fr labels and aliases (all from the contract). The result says which file column
feeds which contract column, and the file-level issues: COLUMN_MISSING, COLUMN_DUPLICATE,
PII_COLUMN, COLUMN_UNKNOWN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.contracts import Contract, header_words, normalise_header, rule_catalog
from pipelines.issues import Issue


@dataclass
class HeaderMap:
    positions: dict[str, int] = field(default_factory=dict)  # canonical column -> position in the file
    issues: list[Issue] = field(default_factory=list)


def map_headers(headers: list[str], contract: Contract, has_data: list[bool]) -> HeaderMap:
    index = contract.header_index
    pii_words = rule_catalog().pii_header_words
    result = HeaderMap()
    seen: dict[str, list[int]] = {}
    for position, header in enumerate(headers):
        key = normalise_header(header)
        if not key:
            if has_data[position]:
                result.issues.append(Issue("COLUMN_UNKNOWN", params={"header": f"#{position + 1}"}))
            continue
        canonical = index.get(key)
        if canonical:
            seen.setdefault(canonical, []).append(position)
        elif key in pii_words or any(word in pii_words for word in header_words(header)):
            result.issues.append(Issue("PII_COLUMN", column=header, params={"header": header}))
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
    return result
