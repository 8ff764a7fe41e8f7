"""Atomic writes: a reader never sees half a file, nothing is left behind, and modes are the usual ones
(reports readable by others as before; receipts and issues lists, which quote staff identifiers, private)."""

from __future__ import annotations

import os

import pytest

from pipelines.common.atomic import replace_text, replace_with, write_once


def test_a_new_file_gets_the_mode_open_would_give_and_a_replaced_one_keeps_its_own(tmp_path):
    umask = os.umask(0o022)
    try:
        page = tmp_path / "reports" / "index.html"
        replace_text(page, "first")
        assert page.stat().st_mode & 0o777 == 0o644
        page.chmod(0o640)
        replace_text(page, "second")
        assert (page.read_text(), page.stat().st_mode & 0o777) == ("second", 0o640)
    finally:
        os.umask(umask)
    assert [p.name for p in page.parent.iterdir()] == ["index.html"]


def test_write_once_is_private_and_never_replaces(tmp_path):
    receipt = tmp_path / "receipt.json"
    write_once(receipt, b"{}")
    assert receipt.stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        write_once(receipt, b"another")
    assert receipt.read_bytes() == b"{}"
    assert [p.name for p in tmp_path.iterdir()] == ["receipt.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    page = tmp_path / "index.html"
    replace_text(page, "kept")

    def fails(temporary):
        temporary.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_with(page, fails)
    assert page.read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]
