"""The fast, batched pseudonymiser (HMAC-SHA256 once per distinct identifier) gives exactly the hashes of the
definition in pipelines.intake.storing.pseudonym.pseudonymise, for any key and any identifier; a hash that drifted
would silently split one staff member into two in the warehouse."""

from __future__ import annotations

import gc
import secrets

import polars as pl
import pytest

from pipelines.intake.storing.pseudonym import NumberingLost, Pseudonymiser, pseudonymise

VALUES = ["E0001", "ñandú-7", "  spaced ", "x" * 200, r"a\x41b", "E0001", "日本-3", ""]


def test_batched_hashes_equal_the_definition_batch_after_batch():
    for _ in range(5):
        key = secrets.token_bytes(32)
        pseudonymiser = Pseudonymiser(key)
        try:
            first = pseudonymiser(pl.Series([*VALUES, None]))  # a null stays null
            gc.collect()  # nothing the numbering of identifiers needs may be collected between batches
            again = pseudonymiser(pl.Series(["new-id", *VALUES[:3]]))  # remembered and new values mixed
        finally:
            pseudonymiser.close()
        assert first.to_list() == [*pseudonymise(key, VALUES), None]
        assert again.to_list() == pseudonymise(key, ["new-id", *VALUES[:3]])


def test_a_numbering_lost_between_batches_stops_the_submission_instead_of_mixing_up_staff():
    """Should polars drop the mapping that numbers identifiers (the anchor is what keeps it), the
    next batch is refused with an error, not hashed with another staff member's pseudonym."""
    pseudonymiser = Pseudonymiser(secrets.token_bytes(32))
    pseudonymiser(pl.Series(["E1", "E2", "E3"]))
    pseudonymiser._anchor = None  # what a polars that no longer kept the mapping alive would do
    gc.collect()
    with pytest.raises(NumberingLost, match="nothing was recorded"):
        pseudonymiser(pl.Series(["E3", "E4"]))
