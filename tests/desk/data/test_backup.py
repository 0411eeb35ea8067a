"""desk.data.backup: online backup while writing, restore validation and swap, daily auto backups."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.base.clock import FakeClock, to_db
from desk.base.lock import ProfileLock
from desk.base.paths import resolve_profile
from desk.data import backup
from desk.store.db import close_database, open_database
from desk.store.models import AuditLog, Contact, Conversation, Message
from tests.helpers import waits

T0 = datetime(2026, 4, 1, 8, 30, tzinfo=UTC)


@pytest.fixture
def profile(tmp_path):
    return resolve_profile(tmp_path / "profile").ensure()


@pytest.fixture
def dbfile(profile):
    database = open_database(profile.db_path)
    yield database
    close_database()


def add_messages(n: int, body: str = "hello") -> Conversation:
    contact = Contact.create(number=f"+1555000{Contact.select().count():04d}", created_at=to_db(T0))
    conv = Conversation.create(contact=contact, last_activity_at=to_db(T0))
    for i in range(n):
        Message.create(
            conversation=conv, direction="in", body=f"{body} {i}", state="received",
            created_at=to_db(T0 + timedelta(minutes=i)),
        )  # fmt: skip
    return conv


def count(path: Path, sql: str) -> int:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def wait_for(cond, timeout: float = 30.0) -> None:
    waits.wait_until(cond, timeout)


def test_backup_is_one_private_file_in_the_backup_dir(profile, dbfile) -> None:
    add_messages(3)
    clock = FakeClock(T0)
    path = backup.backup(clock=clock)
    assert path.parent == profile.backup_dir
    assert path.name == "textdesk-20260401T083000Z.sqlite3"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not Path(str(path) + "-wal").exists()
    assert count(path, "SELECT count(*) FROM message") == 3
    assert count(path, "PRAGMA user_version") >= 1
    # Same second again: a second file, never an overwrite.
    again = backup.backup(clock=clock)
    assert again != path and again.exists()
    # An explicit file name that exists is refused.
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.backup(path, clock=clock)


def test_backup_is_consistent_while_another_thread_writes(profile, dbfile, tmp_path) -> None:
    """A writer commits pairs of messages in single transactions; every backup taken meanwhile
    holds whole pairs only, passes its integrity check, and the copies grow."""
    conv = add_messages(0)
    stop = threading.Event()
    written = [0]
    errors: list[BaseException] = []

    def writer() -> None:
        con = sqlite3.connect(str(profile.db_path), timeout=30)
        try:
            i = 0
            while not stop.is_set():
                with con:
                    for half in ("a", "b"):
                        con.execute(
                            "INSERT INTO message (conversation_id, direction, body, encoding,"
                            " parts, state, created_at, read, source, automated, priority,"
                            " attempts, parts_sent, flags, masked) VALUES"
                            " (?, 'in', ?, 'gsm7', 1, 'received', ?, 1, 'staff', 0, 0, 0, 0, '', 0)",
                            (conv.id, f"pair {i} {half}", str(to_db(T0))),
                        )
                i += 1
                written[0] = i
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            con.close()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        sizes = []
        for k in range(4):
            target_written = written[0] + 20
            wait_for(lambda t=target_written: written[0] >= t or bool(errors))
            path = backup.backup(tmp_path / f"copy{k}.sqlite3")
            n = count(path, "SELECT count(*) FROM message")
            assert n % 2 == 0, "a transaction was torn in the backup"
            assert (
                count(path, "SELECT count(*) FROM message_fts WHERE message_fts MATCH 'pair'") == n
            )
            con = sqlite3.connect(str(path))
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            con.close()
            sizes.append(n)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]


def test_restore_swaps_in_the_backup_and_keeps_the_current_db(profile, dbfile) -> None:
    add_messages(2, "before")
    clock = FakeClock(T0)
    saved = backup.backup(clock=clock)
    add_messages(5, "after")
    close_database()
    clock.advance(60)
    result = backup.restore(saved, profile.db_path, clock=clock, staff="owner")
    assert result.restored == profile.db_path
    assert result.previous_copy is not None
    assert count(result.previous_copy, "SELECT count(*) FROM message") == 7
    open_database(profile.db_path)
    assert Message.select().count() == 2
    log = AuditLog.get(AuditLog.action == "restored")
    assert saved.name in log.detail and log.staff == "owner"
    assert stat.S_IMODE(os.stat(profile.db_path).st_mode) == 0o600


def test_restore_refuses_a_file_that_is_not_sqlite(profile, dbfile, tmp_path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello, this is not a database at all\n" * 20)
    before = profile.db_path.read_bytes()
    with pytest.raises(backup.BackupError, match="not an SQLite database"):
        backup.restore(bogus, profile.db_path)
    with pytest.raises(backup.BackupError, match="no file"):
        backup.restore(tmp_path / "missing.sqlite3", profile.db_path)
    assert profile.db_path.read_bytes() == before


def test_restore_refuses_a_foreign_sqlite_file(profile, dbfile, tmp_path) -> None:
    other = tmp_path / "other.sqlite3"
    con = sqlite3.connect(str(other))
    con.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    con.commit()
    con.close()
    with pytest.raises(backup.BackupError, match="not a TextDesk backup"):
        backup.restore(other, profile.db_path)


def test_restore_refuses_a_newer_schema(profile, dbfile, tmp_path) -> None:
    saved = backup.backup(tmp_path / "newer.sqlite3")
    con = sqlite3.connect(str(saved))
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(backup.BackupError, match="newer TextDesk"):
        backup.restore(saved, profile.db_path)


def test_restore_refuses_a_damaged_file(profile, dbfile, tmp_path) -> None:
    add_messages(200, "x" * 200)
    saved = backup.backup(tmp_path / "damaged.sqlite3")
    data = bytearray(saved.read_bytes())
    for i in range(4096 * 2, len(data), 97):  # scribble over every page but the first two
        data[i] = 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(backup.BackupError):
        backup.restore(saved, profile.db_path)


def test_restore_refuses_while_an_engine_holds_the_profile(profile, dbfile, tmp_path) -> None:
    saved = backup.backup(tmp_path / "ok.sqlite3")
    lock = ProfileLock(profile.lock_path, mode="serve")
    lock.acquire()
    try:
        with pytest.raises(backup.BackupError, match="running for this profile"):
            backup.restore(saved, profile.db_path)
    finally:
        lock.release()
    close_database()
    backup.restore(saved, profile.db_path)  # free now


def test_auto_backup_daily_and_pruned(profile, dbfile) -> None:
    add_messages(1)
    manual = backup.backup(clock=FakeClock(T0 - timedelta(days=30)))
    clock = FakeClock(T0)
    made = []
    for _ in range(6):
        first = backup.auto_backup(profile, keep=3, clock=clock)
        assert first is not None
        assert backup.auto_backup(profile, keep=3, clock=clock) is None  # once a day
        made.append(first)
        clock.advance(timedelta(days=1))
    left = [p for _, p in backup.list_auto_backups(profile.backup_dir)]
    assert left == made[-3:]
    assert manual.exists()  # manual backups are never pruned


# --- the free-space floor (a real small filesystem) ---------------------------------------------


def test_a_backup_refuses_to_take_the_last_free_space_and_says_so(tmp_path: Path) -> None:
    from tests.helpers.small_disk import free_bytes, small_disk

    with small_disk(tmp_path / "disk", size="8m") as disk:
        profile = resolve_profile(disk / "profile").ensure()
        open_database(profile.db_path)
        try:
            add_messages(50)
            # 8 MB disk: under the 16 MB floor whatever is free
            with pytest.raises(backup.BackupError) as refused:
                backup.backup()
            text = str(refused.value)
            assert text.startswith("Not backing up: the disk holding ")
            assert "TextDesk keeps at least 16.0 MB free" in text
            assert "Free some space, or back up to another disk." in text
            assert not any(profile.backup_dir.iterdir())  # not even a partial file
            with pytest.raises(backup.BackupError, match="Not backing up"):
                backup.auto_backup(profile, clock=FakeClock(T0))
            # with a floor this disk can keep, the same backup goes through
            original = backup.FREE_FLOOR
            backup.FREE_FLOOR = 500_000
            try:
                made = backup.backup()
            finally:
                backup.FREE_FLOOR = original
            assert count(made, "SELECT COUNT(*) FROM message") == 50
            assert free_bytes(disk) >= 500_000
        finally:
            close_database()


def test_a_backup_to_another_disk_with_room_goes_through(profile, dbfile, tmp_path: Path) -> None:
    add_messages(3)
    made = backup.backup(tmp_path / "elsewhere.sqlite3")
    assert count(made, "SELECT COUNT(*) FROM message") == 3
