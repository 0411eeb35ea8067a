"""A migration on a full disk (a small real tmpfs): the message says the disk is full and that
nothing was changed, not a generic error; the file is as it was and no half-written copy is left
taking the last bytes."""

from __future__ import annotations

import errno
import hashlib
import sqlite3
from pathlib import Path

import peewee as pw
import pytest

from desk.store.db import close_database, open_database
from desk.store.migrations import DatabaseError, runner
from tests.desk.store.schemas import build_at, schema
from tests.helpers.small_disk import fill, small_disk

OLD = 4  # the schema the shop's file is at


def old_database(path: Path, rows: int = 3000) -> None:
    build_at(path, OLD)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    con.execute(
        "INSERT INTO contact (id, number, name, notes, tags, opted_out, callback_requested, "
        "created_at) VALUES (1, '+12025550100', 'Ann', '', '', 0, 0, '2026-01-01 00:00:00')"
    )
    con.execute(
        "INSERT INTO conversation (id, contact_id, status, last_activity_at, unread, "
        "needs_attention, last_preview, last_direction) VALUES (1, 1, 'open', '2026-01-01 00:00:00', "
        "0, 1, '', 'in')"
    )
    con.executemany(
        "INSERT INTO message (conversation_id, direction, body, encoding, parts, state, "
        "created_at, read, source, automated, priority, attempts, parts_sent, flags, masked) "
        "VALUES (1, 'out', ?, 'gsm7', 1, 'failed', '2026-01-01 00:00:00', 1, 'staff', 0, 0, 0, "
        "0, '', 0)",
        [(f"text number {i} " + "x" * 100,) for i in range(rows)],
    )
    con.execute("COMMIT")
    con.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(disk: Path) -> list[str]:
    return sorted(p.name for p in disk.iterdir() if p.name.endswith((".bak", ".bak-journal")))


def open_full(path: Path) -> str:
    with pytest.raises(DatabaseError) as info:
        open_database(path)
    close_database()
    return str(info.value)


def says_full_and_unchanged(text: str) -> None:
    assert text.startswith("The disk is full, so TextDesk could not"), text
    assert "nothing was changed" in text, text
    assert "Free some space" in text, text


def test_a_full_disk_before_opening_says_so_and_changes_nothing(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", size="4m") as disk:
        path = disk / "textdesk.sqlite3"
        old_database(path)
        before, raw = schema(path), digest(path)
        filler = fill(disk)
        try:
            text = open_full(path)
        finally:
            filler.unlink()
        says_full_and_unchanged(text)
        assert digest(path) == raw and schema(path) == before
        assert leftovers(disk) == []


def open_as_the_disk_fills(
    disk: Path, path: Path, monkeypatch: pytest.MonkeyPatch, *, before_the_copy: bool
) -> str:
    """Open (and so upgrade) ``path`` while the disk fills up just before the copy kept before
    an upgrade is made, or just after it; the message it fails with (the space is given back)."""
    copy = runner._backup_copy
    fillers: list[Path] = []

    def filling_copy(p: Path, version: int) -> Path:
        if before_the_copy:
            fillers.append(fill(disk))
        made = copy(p, version)
        if not before_the_copy:
            fillers.append(fill(disk))
        return made

    monkeypatch.setattr(runner, "_backup_copy", filling_copy)
    try:
        return open_full(path)
    finally:
        for f in fillers:
            f.unlink()


def test_a_copy_that_fills_the_disk_is_removed_and_nothing_is_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with small_disk(tmp_path / "disk", size="4m") as disk:
        path = disk / "textdesk.sqlite3"
        old_database(path)
        before = schema(path)
        text = open_as_the_disk_fills(disk, path, monkeypatch, before_the_copy=True)
        says_full_and_unchanged(text)
        assert "could not keep a copy" in text
        assert schema(path) == before and schema(path)["version"] == OLD
        assert leftovers(disk) == []  # no half copy left taking the last bytes


def test_a_step_that_fills_the_disk_says_so_and_nothing_was_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with small_disk(tmp_path / "disk", size="4m") as disk:
        path = disk / "textdesk.sqlite3"
        old_database(path)
        before = schema(path)
        text = open_as_the_disk_fills(disk, path, monkeypatch, before_the_copy=False)
        says_full_and_unchanged(text)
        assert f"upgrade its database to schema {OLD + 1}" in text
        assert "left at schema" not in text  # not the generic failure
        assert schema(path) == before and schema(path)["version"] == OLD
        assert leftovers(disk) == []  # the file is unchanged: its copy gave the space back
        # With space again the same file upgrades.
        monkeypatch.undo()
        open_database(path)
        close_database()
        assert schema(path)["version"] == runner.SCHEMA_VERSION


def test_disk_full_is_recognised_through_peewee_and_os_errors() -> None:
    wrapped = pw.OperationalError("database or disk is full")
    wrapped.__cause__ = sqlite3.OperationalError("database or disk is full")
    assert runner.is_disk_full(wrapped)
    assert runner.is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not runner.is_disk_full(pw.OperationalError("database is locked"))
    assert runner.cannot_open(Path("x.sqlite3"), pw.OperationalError("database is locked")) == (
        "Cannot open the database x.sqlite3: database is locked"
    )
