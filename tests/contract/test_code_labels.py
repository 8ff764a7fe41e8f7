"""Every code of every code column of the contracts has a label in each of the four languages, and
the rows the warehouse's mart `code_labels` is made from are those labels."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from pipelines.common.paths import SCHEMAS_DIR
from pipelines.contract.labels import code_labels
from pipelines.contract.model import KINDS, LANGUAGES, load_contract, rule_catalog

CODE_COLUMNS = [
    pytest.param(kind, column.name, id=f"{kind}.{column.name}")
    for kind in KINDS
    for column in load_contract(kind).columns
    if column.type == "code"
]
SPEC_CODES = {  # ../shared/spec/submissions.md, in its order
    "sex": ("F", "M", "X"),
    "occupational_group": ("MANAGEMENT", "HEALTH_PROFESSIONAL", "ACTUARIAL_FINANCE", "LEGAL", "IT",
                           "ADMINISTRATION", "CUSTOMER_SERVICE", "OTHER"),
    "employment_type": ("PERMANENT", "TEMPORARY", "CONTRACTOR"),
    "provider": ("CIESS", "IN_HOUSE", "CISS", "ILO", "ISSA", "OISS", "UNIVERSITY", "OTHER"),
    "modality": ("IN_PERSON", "VIRTUAL", "BLENDED"),
    "thematic_area": ("PENSIONS", "HEALTH_SERVICES", "ACTUARIAL", "FINANCING_CONTRIBUTIONS", "OCCUPATIONAL_RISKS",
                      "SOCIAL_PROTECTION_POLICY", "ADMINISTRATION_MANAGEMENT", "IT_DIGITAL", "LEGAL",
                      "CUSTOMER_SERVICE", "OTHER"),
    "status": ("ENROLLED", "COMPLETED", "WITHDRAWN", "FAILED"),
}  # fmt: skip


def missing_labels(column) -> list[str]:
    """`CODE (lang)` for every code of the column without a label (absent or blank) in a language."""
    return [
        f"{code} ({lang})"
        for code in column.codes
        for lang in LANGUAGES
        if not str(column.code_labels.get(code, {}).get(lang) or "").strip()
    ]


def test_every_code_column_is_in_the_spec():
    assert sorted(name for _, name in (param.values for param in CODE_COLUMNS)) == sorted(SPEC_CODES)


@pytest.mark.parametrize(("kind", "name"), CODE_COLUMNS)
def test_every_code_has_a_label_in_each_language(kind, name):
    column = load_contract(kind).column(name)
    assert column.codes, f"{kind}.{name} is a code column without codes"
    missing = missing_labels(column)
    assert not missing, f"{kind}.{name}: no label for {', '.join(missing)}"
    unknown = {code: set(labels) - set(LANGUAGES) for code, labels in column.code_labels.items()}
    assert not any(unknown.values()), f"{kind}.{name}: labels in languages other than {LANGUAGES}: {unknown}"


@pytest.mark.parametrize(("kind", "name"), CODE_COLUMNS)
def test_codes_stay_a_list_of_code_strings(kind, name):
    """Every caller of Column.codes (validation, conversion, templates, messages, the sample generator,
    the benchmarks) still gets the codes, as strings, in the spec's order; the labels are beside them."""
    column = load_contract(kind).column(name)
    assert column.codes == SPEC_CODES[name]
    assert all(type(code) is str for code in column.codes)
    assert list(column.code_labels) == list(column.codes)


def test_a_code_label_falls_back_to_english_then_to_the_code():
    column = load_contract("training").column("thematic_area")
    assert column.code_label("PENSIONS", "pt") == column.code_labels["PENSIONS"]["pt"]
    assert column.code_label("PENSIONS", "de") == column.code_labels["PENSIONS"]["en"]
    assert column.code_label("NOT_A_CODE", "es") == "NOT_A_CODE"


def test_a_code_without_labels_is_found(tmp_path, monkeypatch):
    """The check above looks at what the YAML says: a code written bare, or with a blank or missing
    language, has no label."""
    import pipelines.contract.model as model

    raw = yaml.safe_load((SCHEMAS_DIR / "training" / "contract.yaml").read_text(encoding="utf-8"))
    modality = next(item for item in raw["columns"] if item["name"] == "modality")
    modality["codes"][0] = "IN_PERSON"
    modality["codes"][1]["labels"]["fr"] = " "
    del modality["codes"][2]["labels"]["es"]
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "contract.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(model, "SCHEMAS_DIR", tmp_path)
    column = model.load_contract.__wrapped__("training").column("modality")  # past the cache: the real one stays
    assert column.codes == ("IN_PERSON", "VIRTUAL", "BLENDED")
    expected = [f"IN_PERSON ({lang})" for lang in LANGUAGES] + ["VIRTUAL (fr)", "BLENDED (es)"]
    assert missing_labels(column) == expected


def test_code_label_rows_are_every_code_list_once_per_language():
    rows = code_labels()
    keys = Counter((row.code_list, row.code, row.lang) for row in rows)
    assert max(keys.values()) == 1
    assert all(row.label and row.label.strip() for row in rows)
    per_list = Counter(row.code_list for row in rows)
    expected = {name: len(codes) * len(LANGUAGES) for name, codes in SPEC_CODES.items()}
    assert {name: per_list[name] for name in expected} == expected
    assert per_list["kind"] == len(KINDS) * len(LANGUAGES)
    assert per_list["rule"] == len(rule_catalog().rules) * len(LANGUAGES)
    assert per_list["submission_status"] == 5 * len(LANGUAGES) and per_list["return_status"] == 5 * len(LANGUAGES)
    assert "subregion" not in per_list  # dbt adds the registry's
    kinds = {(row.code, row.lang): row.label for row in rows if row.code_list == "kind"}
    assert kinds[("training", "es")] == load_contract("training").labels["es"]
    assert kinds[("staffing", "fr")] == load_contract("staffing").labels["fr"]
    (pensions,) = [row for row in rows if (row.code_list, row.code, row.lang) == ("thematic_area", "PENSIONS", "pt")]
    assert pensions.label == load_contract("training").column("thematic_area").code_labels["PENSIONS"]["pt"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_changelog_records_the_contract_version(kind):
    version = load_contract(kind).contract_version
    changelog = (SCHEMAS_DIR / kind / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {version} " in changelog, f"{kind}: CHANGELOG.md has no entry for contract_version {version}"
