"""Running the frozen migrations: refusing files that are not ours, a copy before upgrading.

``PRAGMA user_version`` holds the schema version of an SQLite database. Each step runs in its
own transaction (BEGIN IMMEDIATE, as every transaction on a database from desk.store.db) that
also sets the version, so an upgrade cut short leaves the database at the last whole step.
The version is read again inside the transaction: when two processes open an old database at
once, the second finds the step done and skips it.

A full disk is said as such, with what it means: a step that failed rolled back whole, so
"nothing was changed" (or, when earlier steps of the same upgrade went through, which schema the
file is at); a copy that could not be finished is removed rather than left taking the last bytes,
and the copy of a file the failed upgrade did not change is removed too (the file itself is that
copy). ``cannot_open(path, exc)`` is the sentence for a database that cannot even be opened.

How long a step holds the write lock (issue 11 wants about 100 ms at most): on SQLite the
steps' ANALYZE runs under ``PRAGMA analysis_limit`` (``ANALYSIS_LIMIT`` rows an index), which took
schema 3 on a 1M-message file (350 MB) from about 0.8 s to 0.16-0.19 s, median of a run
(bench/migration_lock.py; the machine shared with other work). What
is left is step 3's ``CREATE INDEX``: one statement that reads the message table once (about
0.11-0.15 s there, more with a cold disk cache), which SQLite cannot split. It is bounded by the
table's size, runs once, when the first TextDesk process of the new version opens the file and
before its engine starts; another process that writes meanwhile (``textdesk send``, a second
counter) waits for it within its 15 s busy timeout, as for any other writer, and loses nothing.
A process that opens the file while another one upgrades it waits for the step's lock within
the same timeout, then finds the step done; past it, ``DatabaseBusy`` says in one line that
TextDesk is upgrading the database (try again in a moment), nothing changed and no copy left.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import peewee as pw

from desk.store.migrations.frozen import (
    POSTGRESQL,
    SCHEMA_VERSION,
    SQLITE,
    STEPS,
    Step,
    statements,
)

log = logging.getLogger(__name__)


class _Cursor(Protocol):
    def fetchone(self) -> tuple[object, ...] | None: ...


def _execute(database: pw.Database, sql: str) -> _Cursor:
    """``database.execute_sql(sql)``, typed (types-peewee leaves execute_sql unannotated)."""
    execute: Callable[[str], _Cursor] = database.execute_sql
    return execute(sql)


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message is for staff."""


UPGRADING_TEXT = "TextDesk is upgrading the database; try again in a moment."
LOCKED_TEXT = (
    "TextDesk's database is locked by another program (an upgrade, a restore); nothing was "
    "changed. Try again in a moment."
)


class DatabaseBusy(DatabaseError):
    """Another process holds the database's lock past the busy timeout while this one opens or
    upgrades it (another TextDesk upgrading it): try again in a moment; nothing was changed."""


_BUSY_NAMES = ("SQLITE_BUSY", "SQLITE_LOCKED")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what caused it (``__cause__``, ``__context__``, exceptions in its args), each
    once: peewee and the sqlite3 module wrap the error that names the reason."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        item = todo.pop()
        if any(item is s for s in seen):
            continue
        seen.append(item)
        yield item
        todo.extend(x for x in (item.__cause__, item.__context__) if x is not None)
        todo.extend(a for a in item.args if isinstance(a, BaseException))


def _says_busy(item: BaseException) -> bool:
    name = getattr(item, "sqlite_errorname", None)
    text = str(item).lower()
    if isinstance(name, str) and name.startswith(_BUSY_NAMES):
        return True
    return "database is locked" in text or "database table is locked" in text


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says another connection holds the lock."""
    return any(_says_busy(item) for item in _causes(exc))


_FULL_NAMES = {"SQLITE_FULL", "SQLITE_IOERR_SHMSIZE"}  # SHMSIZE: the -shm file cannot grow
FREE_SPACE_TEXT = "Free some space on this computer's disk, then start TextDesk again."


def _says_full(item: BaseException) -> bool:
    name = getattr(item, "sqlite_errorname", None)
    if name in _FULL_NAMES or "disk is full" in str(item).lower():
        return True
    return isinstance(item, OSError) and item.errno in (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the disk is full."""
    return any(_says_full(item) for item in _causes(exc))


def cannot_open(path: Path, exc: BaseException) -> str:
    """The one sentence for a database that could not be opened (before any upgrade)."""
    if is_disk_full(exc):
        return (
            f"The disk is full, so TextDesk could not open its database {path}; nothing was "
            f"changed. {FREE_SPACE_TEXT}"
        )
    return f"Cannot open the database {path}: {exc}"


def newer_schema_refusal(found: int, subject: str = "This database") -> str:
    """The one sentence for a file whose schema is newer than this TextDesk knows."""
    return (
        f"{subject} was written by a newer TextDesk (schema {found}; this version knows up to "
        f"{SCHEMA_VERSION}). Install the newer version again; nothing was changed."
    )


def check_file(path: Path) -> None:
    """Refuse a file that is not an SQLite database, or has a newer schema, opening it read-only.

    Run before any pragma can change the file (journal mode WAL rewrites its header)."""
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = int(con.execute("PRAGMA user_version").fetchone()[0])
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):  # locked past the busy timeout by another connection: not a bad file
            raise DatabaseBusy(LOCKED_TEXT) from exc
        raise DatabaseError(f"{path} is not a TextDesk database ({exc}).") from exc
    if version > SCHEMA_VERSION:
        raise DatabaseError(newer_schema_refusal(version))


# PostgreSQL has no user_version: a one-row table holds the schema version, written in each
# step's transaction; an advisory lock held for that transaction makes two counters that open
# an old database at once take the steps one after the other.
VERSION_TABLE = "textdesk_schema"
MIGRATION_LOCK = 0x7465_7874  # "text": pg_advisory_xact_lock key for schema changes


def dialect_of(database: pw.Database) -> str:
    """The folder of frozen files for ``database``'s kind."""
    if isinstance(database, pw.SqliteDatabase):
        return SQLITE
    if isinstance(database, pw.PostgresqlDatabase):
        return POSTGRESQL
    raise DatabaseError(f"TextDesk has no migrations for a {type(database).__name__}.")


def current_version(database: pw.Database) -> int:
    if dialect_of(database) == POSTGRESQL:
        # pg_tables through the statement's own snapshot, not to_regclass: that reads the
        # catalog snapshot taken before pg_advisory_xact_lock waited, so a counter that waited
        # for another's first step saw no table, ran the step again ("audit_log already exists").
        exists = _execute(
            database,
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables "
            f"WHERE tablename = '{VERSION_TABLE}' AND schemaname = current_schema())",
        ).fetchone()
        if exists is None or not exists[0]:
            return 0
        row = _execute(database, f"SELECT max(version) FROM {VERSION_TABLE}").fetchone()
        value = row[0] if row is not None else None
        return value if isinstance(value, int) else 0
    row = _execute(database, "PRAGMA user_version").fetchone()
    if row is None or not isinstance(row[0], int):
        raise DatabaseError(f"The database gave no schema version ({row!r}).")
    return row[0]


def _set_version(database: pw.Database, dialect: str, version: int) -> None:
    if dialect == POSTGRESQL:
        _execute(
            database, f'CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("version" INTEGER NOT NULL)'
        )
        _execute(database, f"DELETE FROM {VERSION_TABLE}")
        _execute(database, f"INSERT INTO {VERSION_TABLE} (version) VALUES ({version:d})")
    else:
        _execute(database, f"PRAGMA user_version = {version:d}")


def _backup_copy(path: Path, version: int) -> Path:
    """A copy of the file next to it; one that could not be finished is removed."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.schema-v{version}.{stamp}.bak")
    try:
        src = sqlite3.connect(str(path))
        try:
            dst = sqlite3.connect(str(target))
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        target.chmod(0o600)
    except BaseException:
        for leftover in (target, target.with_name(target.name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise
    return target


# ANALYZE in a step (schema 3) reads at most about this many rows of each index on SQLite
# (PRAGMA analysis_limit): statistics good enough for the planner, and the write lock is not held
# for a second on a database of a million messages (see bench/migration_lock.py). Not part of
# the frozen files: it changes how long ANALYZE looks, not what schema results.
ANALYSIS_LIMIT = 1000


def _run_step(database: pw.Database, dialect: str, step: Step) -> bool:
    """Apply ``step`` unless the database already has it; True when it was applied."""
    if dialect != SQLITE:
        return _apply_step(database, dialect, step)
    # per connection, outside the transaction; put back after, so nothing else is affected
    _execute(database, f"PRAGMA analysis_limit = {ANALYSIS_LIMIT:d}")
    try:
        return _apply_step(database, dialect, step)
    finally:
        _execute(database, "PRAGMA analysis_limit = 0")


def _apply_step(database: pw.Database, dialect: str, step: Step) -> bool:
    with database.atomic():
        if dialect == POSTGRESQL:
            _execute(database, f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK:d})")
        if current_version(database) >= step.version:
            return False
        for sql in statements(step, dialect):
            _execute(database, sql)
        _set_version(database, dialect, step.version)
    return True


def migrate(
    database: pw.Database, path: Path | None = None, *, target: int = SCHEMA_VERSION
) -> int:
    """Bring the schema to ``target``; returns the version found before.

    With ``path`` (the database's file) an existing database is copied next to itself first,
    as ``<stem>.schema-v<found>.<UTC stamp>.bak``."""
    if not 0 <= target <= SCHEMA_VERSION:
        raise ValueError(f"no schema {target}: this version knows 0 to {SCHEMA_VERSION}")
    dialect = dialect_of(database)
    found = current_version(database)
    if found > SCHEMA_VERSION:
        raise DatabaseError(newer_schema_refusal(found))
    if found >= target:
        return found
    copy = None
    if found > 0 and path is not None and path.exists():
        copy = _copy_or_refuse(path, found, target)
        log.info("database schema %d -> %d; copy kept at %s", found, target, copy)
    at = found  # the last whole step
    for step in STEPS:
        if not found < step.version <= target:
            continue
        try:
            applied = _run_step(database, dialect, step)
        except pw.DatabaseError as exc:
            if at == found and is_busy(exc):  # another process is upgrading it: nothing done
                if copy is not None:  # the file is as it was
                    copy.unlink(missing_ok=True)
                raise DatabaseBusy(UPGRADING_TEXT) from exc
            raise DatabaseError(_step_failed(database, step, found, at, copy, exc)) from exc
        at = step.version
        if applied:
            log.info("migrated database to schema %d (%s)", step.version, step.summary)
    return found


def _copy_or_refuse(path: Path, found: int, target: int) -> Path:
    """The copy before an upgrade; a copy that fails is removed and nothing is upgraded."""
    try:
        return _backup_copy(path, found)
    except (sqlite3.Error, OSError) as exc:
        if is_busy(exc):
            raise DatabaseBusy(UPGRADING_TEXT) from exc
        if is_disk_full(exc):
            raise DatabaseError(
                f"The disk is full, so TextDesk could not keep a copy of its database before "
                f"upgrading it to schema {target}; nothing was changed. {FREE_SPACE_TEXT}"
            ) from exc
        raise DatabaseError(
            f"TextDesk could not keep a copy of its database before upgrading it ({exc}); "
            "nothing was changed."
        ) from exc


def _step_failed(
    database: pw.Database, step: Step, found: int, at: int, copy: Path | None, exc: Exception
) -> str:
    """What to say when ``step`` failed (it rolled back whole: the file is at schema ``at``)."""
    if not is_disk_full(exc):
        kept = f" A copy from before the upgrade is at {copy}." if copy else ""
        return (
            f"The database could not be upgraded to schema {step.version} ({exc}); it was "
            f"left at schema {step.version - 1}.{kept}"
        )
    try:
        unchanged = current_version(database) == found
    except Exception:  # cannot even read it back: say only what is certain
        unchanged = False
    if at == found and unchanged:
        if copy is not None:  # the file is as it was: the copy only takes the space back
            copy.unlink(missing_ok=True)
        return (
            f"The disk is full, so TextDesk could not upgrade its database to schema "
            f"{step.version}; nothing was changed. {FREE_SPACE_TEXT}"
        )
    kept = f" A copy from before the upgrade is at {copy}." if copy else ""
    return (
        f"The disk is full, so TextDesk could not finish upgrading its database: it is at "
        f"schema {at}, every step up to there complete, and the step to schema {step.version} "
        f"changed nothing.{kept} {FREE_SPACE_TEXT}"
    )
