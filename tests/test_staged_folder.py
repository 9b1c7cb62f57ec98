"""The staged folder writer: a folder appears whole or not at all, and replaces an old one only when done."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

import terrkit.io.write as write_module
from terrkit.io import staged_folder


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def _hidden(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


def test_success_moves_the_folder_into_place(tmp_path):
    final = tmp_path / "new" / "company"  # the parent does not exist yet
    with staged_folder(final) as staging:
        assert staging.parent == final.parent and staging.is_dir() and not any(staging.iterdir())
        assert staging.name.startswith(".company.") and staging.name.endswith(".partial")
        (staging / "a.csv").write_text("x\n1\n")
        assert not final.exists(), "nothing appears before the block ends"
    assert _files(final) == {"a.csv": "x\n1\n"}
    assert stat.S_IMODE(final.stat().st_mode) == 0o755, "readable like a folder made by mkdir"
    assert _hidden(final.parent) == [], "no staging folder is left"


def test_success_replaces_an_existing_folder_only_at_the_end(tmp_path):
    final = tmp_path / "company"
    final.mkdir()
    (final / "old.csv").write_text("old\n")
    (final / "a.csv").write_text("old a\n")
    with staged_folder(final) as staging:
        (staging / "a.csv").write_text("new a\n")
        assert _files(final) == {"a.csv": "old a\n", "old.csv": "old\n"}, "old folder intact while writing"
    assert _files(final) == {"a.csv": "new a\n"}, "the old folder's files are gone, not merged"
    assert _hidden(tmp_path) == [], "neither the staging folder nor the set-aside old one is left"


@pytest.mark.parametrize("error", [ValueError("boom"), KeyboardInterrupt()])
def test_an_error_inside_leaves_the_old_folder_and_no_staging(tmp_path, error):
    final = tmp_path / "company"
    final.mkdir()
    (final / "a.csv").write_text("old a\n")
    with pytest.raises(type(error)), staged_folder(final) as staging:
        (staging / "a.csv").write_text("half")
        raise error
    assert _files(final) == {"a.csv": "old a\n"}
    assert _hidden(tmp_path) == []


def test_an_error_inside_writes_nothing_when_there_was_no_folder(tmp_path):
    final = tmp_path / "company"
    with pytest.raises(OSError, match="disk full"), staged_folder(final) as staging:
        (staging / "a.csv").write_text("half")
        raise OSError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_move_removes_the_staging_folder(tmp_path, monkeypatch):
    final = tmp_path / "company"
    final.mkdir()
    (final / "a.csv").write_text("old a\n")

    def refuse(staging, final):
        raise PermissionError(f"cannot move {staging.name}")

    monkeypatch.setattr(write_module, "replace_folder", refuse)
    with pytest.raises(PermissionError, match="cannot move"), staged_folder(final) as staging:
        (staging / "a.csv").write_text("new a\n")
    assert _files(final) == {"a.csv": "old a\n"}
    assert _hidden(tmp_path) == []
