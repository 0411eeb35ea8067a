"""Running the frozen migrations: refusing files that are not ours, a copy before upgrading.

``PRAGMA user_version`` holds the schema version of an SQLite database. Each step runs in its
own transaction (BEGIN IMMEDIATE, as every transaction on a database from desk.store.db) that
also sets the version, so an upgrade cut short leaves the database at the last whole step.
The version is read again inside the transaction: when two processes open an old database at
once, the second finds the step done and skips it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import peewee as pw

from desk.store.migrations.frozen import SCHEMA_VERSION, SQLITE, STEPS, Step, statements

log = logging.getLogger(__name__)


class _Cursor(Protocol):
    def fetchone(self) -> tuple[object, ...] | None: ...


def _execute(database: pw.Database, sql: str) -> _Cursor:
    """``database.execute_sql(sql)``, typed (types-peewee leaves execute_sql unannotated)."""
    execute: Callable[[str], _Cursor] = database.execute_sql
    return execute(sql)


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message is for staff."""


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
        raise DatabaseError(f"{path} is not a TextDesk database ({exc}).") from exc
    if version > SCHEMA_VERSION:
        raise DatabaseError(newer_schema_refusal(version))


def dialect_of(database: pw.Database) -> str:
    """The folder of frozen files for ``database``'s kind."""
    if isinstance(database, pw.SqliteDatabase):
        return SQLITE
    raise DatabaseError(f"TextDesk has no migrations for a {type(database).__name__}.")


def current_version(database: pw.Database) -> int:
    dialect_of(database)
    row = _execute(database, "PRAGMA user_version").fetchone()
    if row is None or not isinstance(row[0], int):
        raise DatabaseError(f"The database gave no schema version ({row!r}).")
    return row[0]


def _backup_copy(path: Path, version: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.schema-v{version}.{stamp}.bak")
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
    return target


def _run_step(database: pw.Database, dialect: str, step: Step) -> bool:
    """Apply ``step`` unless the database already has it; True when it was applied."""
    with database.atomic():
        if current_version(database) >= step.version:
            return False
        for sql in statements(step, dialect):
            _execute(database, sql)
        _execute(database, f"PRAGMA user_version = {step.version:d}")
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
        copy = _backup_copy(path, found)
        log.info("database schema %d -> %d; copy kept at %s", found, target, copy)
    for step in STEPS:
        if not found < step.version <= target:
            continue
        try:
            applied = _run_step(database, dialect, step)
        except pw.DatabaseError as exc:
            kept = f" A copy from before the upgrade is at {copy}." if copy else ""
            raise DatabaseError(
                f"The database could not be upgraded to schema {step.version} ({exc}); it was "
                f"left at schema {step.version - 1}.{kept}"
            ) from exc
        if applied:
            log.info("migrated database to schema %d (%s)", step.version, step.summary)
    return found
