"""Opening the SQLite database: pragmas for durability, file permissions, migrations.

``db`` is the DatabaseProxy every model is bound to. peewee gives each thread its own connection,
so the engine's core thread (the only writer) and the GUI thread (a reader) never share one.
"""

from __future__ import annotations

import os
from pathlib import Path

import peewee as pw

db = pw.DatabaseProxy()

PRAGMAS: dict[str, object] = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: a committed row survives a power cut
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "cache_size": -32000,  # 32 MB
    "temp_store": 2,
}


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message is for staff."""


def _touch_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass


def _check_before_opening(path: Path) -> None:
    """Refuse a file that is not ours, or is newer than us, before any pragma can change it."""
    import sqlite3

    from desk.store.migrations import SCHEMA_VERSION

    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a TextDesk database ({exc}).") from exc
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"This database was written by a newer TextDesk (schema {version}, this version knows "
            f"up to {SCHEMA_VERSION}). Install the newer version again; nothing was changed."
        )


def open_database(path: str | os.PathLike[str], *, migrate: bool = True) -> pw.SqliteDatabase:
    """Open (creating if needed) the database at ``path`` and bind the models to it."""
    from desk.store import migrations

    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        _check_before_opening(path)
    _touch_private(path)
    # BEGIN IMMEDIATE for every top-level transaction: a deferred one that reads first cannot
    # wait for the write lock when another process (textdesk send, the engine) wrote meanwhile,
    # and fails at once with "database is locked" whatever the busy timeout.
    database = pw.SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=15, lock_type="IMMEDIATE")
    try:
        database.connect(reuse_if_open=True)
    except pw.DatabaseError as exc:
        raise DatabaseError(f"Cannot open the database {path}: {exc}") from exc
    db.initialize(database)
    if migrate:
        migrations.migrate(database, path)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            try:
                os.chmod(side, 0o600)
            except OSError:
                pass
    return database


def close_database() -> None:
    if db.obj is not None and not db.is_closed():
        db.close()
