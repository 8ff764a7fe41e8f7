"""Typing cells: the polars conversion (fast path for the common spelling, general path for the
rest) gives, value for value, what the pandas conversion it replaced gives (kept in
benchmarks/peers.py as the pandas + pandera peer)."""

from __future__ import annotations

import random
import sys

import pandas as pd
import polars as pl
import pytest

from pipelines.common.paths import PROJECT_ROOT
from pipelines.contract.model import Column, load_contract
from pipelines.intake.checking.conversion import one_of, typed_expression

sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
from peers import _convert  # the reference lives with the benchmark

TRAINING, STAFFING = load_contract("training"), load_contract("staffing")
TRICKY = {
    "code": [
        "PENSIONS",
        "pensions",
        "Pensions",
        "PENSION",
        "Ïtem",
        "",
        "IT_DIGITAL",
        "it_digital",
        "Pensiones",
        "retraites et pensions",
        "Tecnologías de la información",
        "Atuarial",
        "actuariat",
    ],
    "decimal": ["1.5", "1,5", "-3", "+3", ".5", "5.", "1e5", "inf", "NaN", "1 000", "1.000,5", "", "0", "x", "1,"],
    "integer": ["1985", "1985.0", "1985.00", "1985.5", "+12", "-7", "1e3", "", "١٩٨٥", "12,0"],
    "date": [
        "2026-04-06",
        "2026-4-6",
        "06/04/2026",
        "6/4/2026",
        "06-04-2026",
        "2026/04/06",
        "31/02/2026",
        "2026-02-30",
        "",
        "20260406",
        "06.04.2026",
    ],
    "boolean": [
        "yes",
        "Yes",
        "YES",
        "sí",
        "Sí",
        "si",
        "no",
        "No",
        "true",
        "FALSE",
        "1",
        "0",
        "oui",
        "Non",
        "sim",
        "não",
        "Verdadero",
        "x",
        "",
    ],
}


def _column(kind: str) -> Column:
    contract = STAFFING if kind == "integer" else TRAINING
    return next(c for c in contract.columns if c.type == kind)


def _normal(value):
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


@pytest.mark.parametrize("kind", sorted(TRICKY))
def test_polars_typing_matches_the_pandas_conversion(kind):
    column = _column(kind)
    values = TRICKY[kind]
    ours = pl.select(typed_expression(pl.lit(pl.Series(values)), column)).to_series().to_list()
    theirs = [_normal(v) for v in _convert(pd.Series(values, dtype=str), column).tolist()]
    assert ours == theirs, list(zip(values, ours, theirs, strict=True))


ALPHABETS = {
    "decimal": "0123456789+-.,eEinfaNI ١_\t\u00a0",
    "integer": "0123456789+-.,eE0 ١\u2003",
    "boolean": "yesnoítrufalsNOYSÍÃ \x1f",
    "code": "PENSIONSpensio_ \tÓóéá",
}


@pytest.mark.parametrize("kind", sorted(ALPHABETS))
def test_fast_paths_agree_with_the_pandas_conversion_on_random_spellings(kind):
    """Random short strings over the characters that matter to each type (signs, separators,
    exponents, 'inf' and 'nan' letters, accents, whitespace): every one converts as the reference
    says the trimmed cell converts (cells reach the conversion as read, ends not yet trimmed)."""
    rng = random.Random(20261128)
    alphabet = ALPHABETS[kind]
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(20_000)]
    values += [word for word in ("yes", "Yes", "YES", "Sí", "SÍ", "sÍ", "no", "NO", "Non", "nÃo")]
    column = _column(kind)
    ours = pl.select(typed_expression(pl.lit(pl.Series(values)), column)).to_series().to_list()
    trimmed = pd.Series([value.strip() for value in values], dtype=str)
    theirs = [_normal(v) for v in _convert(trimmed, column).tolist()]
    wrong = [(v, a, b) for v, a, b in zip(values, ours, theirs, strict=True) if a != b]
    assert not wrong, wrong[:20]


LABELS_AS_WRITTEN = [  # (column, as an officer writes it, the code it stands for)
    ("sex", "Femenino", "F"),
    ("sex", "FÉMININ", "F"),
    ("sex", " masculino ", "M"),
    ("sex", "não binário ou não declarado", "X"),
    ("occupational_group", "Administración", "ADMINISTRATION"),
    ("occupational_group", "administracion", "ADMINISTRATION"),
    ("occupational_group", "Direção e chefia", "MANAGEMENT"),
    ("occupational_group", "health professional", "HEALTH_PROFESSIONAL"),
    ("employment_type", "Temporal (plazo fijo)", "TEMPORARY"),
    ("employment_type", "Prestataire de services", "CONTRACTOR"),
]


@pytest.mark.parametrize(("name", "written", "code"), LABELS_AS_WRITTEN)
def test_a_code_may_be_written_as_its_label_in_any_language(name, written, code):
    typed = pl.select(typed_expression(pl.lit(pl.Series([written])), STAFFING.column(name))).item()
    assert typed == code


def test_a_label_of_another_column_is_not_a_code():
    """ "Jurídico" is LEGAL in occupational_group; in sex it is still not a code."""
    typed = pl.select(typed_expression(pl.lit(pl.Series(["Jurídico", "Femeni no"])), STAFFING.column("sex")))
    assert typed.to_series().to_list() == ["JURÍDICO", "F"]


def test_dates_with_whitespace_around_convert_as_trimmed():
    rng = random.Random(7)
    spaces = ["", " ", "\t", "\u00a0", "  "]
    values = []
    for _ in range(3000):
        year, month, day = rng.randint(2000, 2030), rng.randint(0, 13), rng.randint(0, 32)
        form = rng.choice([f"{year}-{month:02d}-{day:02d}", f"{day:02d}/{month:02d}/{year}", f"{day}-{month}-{year}",
                           f"{year}/{month}/{day}", f"{year}{month:02d}{day:02d}"])  # fmt: skip
        values.append(rng.choice(spaces) + form + rng.choice(spaces))
    column = _column("date")
    ours = pl.select(typed_expression(pl.lit(pl.Series(values)), column)).to_series().to_list()
    trimmed = pd.Series([value.strip() for value in values], dtype=str)
    theirs = [_normal(v) for v in _convert(trimmed, column).tolist()]
    wrong = [(v, a, b) for v, a, b in zip(values, ours, theirs, strict=True) if a != b]
    assert not wrong, wrong[:20]


@pytest.mark.parametrize("values", [(), ("A",), tuple("ABCDEFGH"), tuple("ABCDEFGHIJK")])
def test_one_of_agrees_with_a_look_up_whatever_the_number_of_values(values):
    """Membership is checked by comparisons for a few values and by a look-up for more: both
    answer as `is_in` does, nulls included."""
    cells = pl.Series(["A", "H", "K", "a", "", None])
    ours = pl.select(one_of(pl.lit(cells), values)).to_series().to_list()
    expected = pl.select(pl.lit(cells).is_in(list(values))).to_series().to_list()
    assert [bool(v) for v in ours] == [bool(v) for v in expected]
