"""Backup to one file and restore, with SQLite's online backup API.

``backup`` copies a consistent snapshot while the engine keeps writing (the copy runs inside one
read transaction of its own connection; WAL lets the writer carry on). The result is a single
self-contained file (journal_mode DELETE), readable by the user only.

``restore`` checks the file first (is it SQLite, does it hold TextDesk's tables, is its schema
one this version can open), refuses while an engine holds the profile lock, keeps a copy of the
current database next to it, and only then swaps the file in.

``auto_backup`` is the daily backup the engine calls: at most one a day, the newest ``keep``
automatic backups kept, manual ones never touched.

A backup never takes the last free space: it refuses to start, saying so, when the disk it writes
to would keep less than FREE_FLOOR bytes free after a copy the size of the database (the
database on the same disk must still be able to store incoming texts).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from desk.base import lock
from desk.base.clock import Clock, SystemClock, to_db
from desk.base.paths import Profile
from desk.store.db import db
from desk.store.migrations import SCHEMA_VERSION, newer_schema_refusal

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
REQUIRED_TABLES = ("contact", "conversation", "message", "setting", "audit_log")
AUTO_PREFIX = "auto-"
FREE_FLOOR = 16_000_000  # bytes a backup leaves free on its disk, at least
_AUTO_NAME = re.compile(r"^auto-(\d{8}T\d{6}Z)(?:-\d+)?\.sqlite3$")


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message is one sentence for staff."""


@dataclass(frozen=True)
class RestoreResult:
    restored: Path  # the database file now in place
    previous_copy: Path | None  # the database as it was before (None if there was none)
    schema_version: int  # of the restored file (migrated on next open when older)


def _stamp(clock: Clock) -> str:
    return clock.now().strftime("%Y%m%dT%H%M%SZ")


def _current_db_path() -> Path:
    if db.obj is None:
        raise BackupError("No database is open to back up.")
    return Path(db.obj.database)


def _megabytes(n: int) -> str:
    return f"{max(0, n) / 1_000_000:.1f} MB"


def check_room(source: Path, folder: Path, floor: int | None = None, *, extra: int = 0) -> None:
    """Refuse (BackupError, in plain words) when a copy of ``source`` (and ``extra`` bytes more)
    written into ``folder`` would leave less than ``floor`` (FREE_FLOOR) bytes free there."""
    floor = FREE_FLOOR if floor is None else floor
    need = extra
    for suffix in ("", "-wal"):
        with contextlib.suppress(OSError):
            need += source.with_name(source.name + suffix).stat().st_size
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return  # cannot tell: the copy itself will say if it fails
    if free - need < floor:
        raise BackupError(
            f"Not backing up: the disk holding {folder} has {_megabytes(free)} free and the "
            f"backup needs about {_megabytes(need)}; TextDesk keeps at least "
            f"{_megabytes(floor)} free so that incoming texts can still be saved. "
            "Free some space, or back up to another disk."
        )


def _copy_online(source: Path, target: Path) -> None:
    """Consistent copy of ``source`` into a new file ``target`` (which must not exist)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_CREAT | os.O_RDWR | os.O_TRUNC, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(str(tmp))
        try:
            # pages=-1: the whole database in one step, inside one read transaction: a snapshot
            # that concurrent commits cannot tear (and that never has to restart).
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
            ok = dst.execute("PRAGMA quick_check").fetchone()[0]
            if ok != "ok":
                raise BackupError(f"The backup copy failed its check ({ok}).")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise BackupError(f"Could not back up {source}: {exc}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        src.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)


def backup(
    path: str | os.PathLike[str] | None = None,
    *,
    source: str | os.PathLike[str] | None = None,
    backup_dir: str | os.PathLike[str] | None = None,
    clock: Clock | None = None,
    prefix: str = "textdesk-",
) -> Path:
    """Back up the database to one file and return its path.

    ``source``: the database file (default: the one ``desk.store.db`` has open). ``path``: the file
    to write (a directory puts a timestamped file in it); default: a timestamped file in
    ``backup_dir`` (default: the ``backups`` folder next to the database, i.e. the profile's
    backup_dir). An existing file is never overwritten."""
    clock = clock or SystemClock()
    src = Path(source) if source is not None else _current_db_path()
    if not src.exists():
        raise BackupError(f"There is no database at {src} to back up.")
    name = f"{prefix}{_stamp(clock)}.sqlite3"
    generated = True
    if path is None:
        folder = Path(backup_dir) if backup_dir is not None else src.parent / "backups"
        target = folder / name
    else:
        target = Path(path).expanduser()
        if target.is_dir():
            target = target / name
        else:
            generated = False
    if target.exists() and generated:  # two backups in one second
        n = 2
        while target.with_name(f"{prefix}{_stamp(clock)}-{n}.sqlite3").exists():
            n += 1
        target = target.with_name(f"{prefix}{_stamp(clock)}-{n}.sqlite3")
    if target.exists():
        raise BackupError(f"{target} already exists; choose another file name.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot create the folder {target.parent}: {exc.strerror}.") from exc
    if target.resolve() == src.resolve():
        raise BackupError("The backup file cannot be the database itself.")
    check_room(src, target.parent)
    _copy_online(src, target)
    log.info("backup written to %s", target)
    return target


def auto_backup(profile: Profile, keep: int = 14, *, clock: Clock | None = None) -> Path | None:
    """The daily automatic backup of ``profile``.

    Writes ``auto-<UTC stamp>.sqlite3`` into profile.backup_dir unless one was already written
    today (UTC), then deletes the oldest automatic backups beyond ``keep``. Returns the new
    file, or None when today's already existed, or when the profile's database is the shop's
    server (its backups are the server's, pg_dump: docs/SCALING.md; a SQLite file left in the
    profile by ``textdesk database move`` is no longer the shop's data)."""
    if profile.database_url is not None:
        return None
    clock = clock or SystemClock()
    folder = Path(profile.backup_dir)
    today = clock.now().strftime("%Y%m%d")
    existing = list_auto_backups(folder)
    made = None
    if not any(stamp.startswith(today) for stamp, _ in existing):
        made = backup(source=profile.db_path, backup_dir=folder, clock=clock, prefix=AUTO_PREFIX)
    prune_auto_backups(folder, keep)
    return made


def list_auto_backups(folder: Path) -> list[tuple[str, Path]]:
    """(UTC stamp, path) of the automatic backups in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        m = _AUTO_NAME.match(entry.name)
        if m:
            found.append((m.group(1), entry))
    return sorted(found)


def prune_auto_backups(folder: Path, keep: int) -> list[Path]:
    keep = max(1, keep)
    backups = list_auto_backups(Path(folder))
    removed = []
    for _, path in backups[: max(0, len(backups) - keep)]:
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


# --- restore --------------------------------------------------------------------------------


def inspect(backup_file: str | os.PathLike[str]) -> int:
    """Validate a backup file; returns its schema version or raises BackupError."""
    path = Path(backup_file)
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    try:
        with open(path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}.") from exc
    if header != SQLITE_HEADER:
        raise BackupError(f"{path} is not a TextDesk backup (not an SQLite database).")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"Cannot open {path}: {exc}.") from exc
    try:
        check = con.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{path} is damaged ({check}); it cannot be restored.")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = int(con.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a usable database ({exc}).") from exc
    finally:
        con.close()
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing or version < 1:
        raise BackupError(f"{path} is not a TextDesk backup (it has no {', '.join(missing)}).")
    if version > SCHEMA_VERSION:
        raise BackupError(newer_schema_refusal(version, subject=str(path)))
    return version


def _check_not_locked(lock_path: Path) -> None:
    info = lock.holder(lock_path)
    if info is not None:
        raise BackupError(
            f"TextDesk is running for this profile ({info.describe()}). "
            "Close it (and any textdesk serve) before restoring."
        )


def restore(
    backup_file: str | os.PathLike[str],
    db_path: str | os.PathLike[str],
    *,
    lock_path: str | os.PathLike[str] | None = None,
    clock: Clock | None = None,
    staff: str | None = None,
) -> RestoreResult:
    """Replace the database at ``db_path`` with ``backup_file``.

    The caller must have closed its own connection to ``db_path``. ``lock_path`` defaults to
    the profile lock next to the database (``engine.lock``)."""
    clock = clock or SystemClock()
    src = Path(backup_file)
    target = Path(db_path)
    version = inspect(src)
    _check_not_locked(Path(lock_path) if lock_path else target.with_name("engine.lock"))
    if target.exists() and src.resolve() == target.resolve():
        raise BackupError("That file is the database itself.")
    current = target.stat().st_size if target.exists() else 0
    check_room(src, target.parent, extra=current)  # the copy kept of the current one, too
    previous = None
    if target.exists():
        previous = target.with_name(f"{target.stem}.before-restore.{_stamp(clock)}.sqlite3")
        if previous.exists():
            previous.unlink()
        _copy_online(target, previous)
    incoming = target.with_name(f".{target.name}.restoring")
    with contextlib.suppress(FileNotFoundError):
        incoming.unlink()
    try:
        _copy_online(src, incoming)
        con = sqlite3.connect(str(incoming))
        try:
            con.execute(
                "INSERT INTO audit_log (at, action, detail, staff) VALUES (?, ?, ?, ?)",
                (
                    str(to_db(clock.now())),
                    "restored",
                    f"restored from {src.name} (schema {version})",
                    staff,
                ),
            )
            con.commit()
        finally:
            con.close()
        # The old database's WAL belongs to the old file: checkpointed by the copy above, it
        # must not be replayed onto the restored one.
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                target.with_name(target.name + suffix).unlink()
        os.replace(incoming, target)
        os.chmod(target, 0o600)
    except BaseException:
        with contextlib.suppress(OSError):
            incoming.unlink()
        raise
    log.info("restored %s from %s (previous copy %s)", target, src, previous)
    return RestoreResult(target, previous, version)


def backup_time(path: Path) -> datetime | None:
    m = re.search(r"(\d{8}T\d{6}Z)", path.name)
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
