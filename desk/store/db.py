"""Opening the SQLite database: pragmas for durability, file permissions, migrations.

``db`` is the DatabaseProxy every model is bound to. peewee gives each thread its own connection,
so the engine's core thread (the only writer) and the GUI thread (a reader) never share one.

Imports run one way inside desk.store: models -> db -> migrations. The migrations package reads
frozen SQL and knows no model, so it defines DatabaseError, which open_database raises too (import
it from desk.store.migrations).
"""

from __future__ import annotations

import os
from pathlib import Path

import peewee as pw

from desk.store import migrations
from desk.store.migrations import DatabaseError

__all__ = ["PRAGMAS", "close_database", "db", "open_database"]

db = pw.DatabaseProxy()

PRAGMAS: dict[str, object] = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: a committed row survives a power cut
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "cache_size": -32000,  # 32 MB
    "temp_store": 2,
}


def _touch_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass


def open_database(path: str | os.PathLike[str], *, migrate: bool = True) -> pw.SqliteDatabase:
    """Open (creating if needed) the database at ``path`` and bind the models to it.

    A file that is not a database, or comes from a newer TextDesk, is refused (DatabaseError)
    before anything writes to it; an older schema is upgraded, a copy of the file kept first."""
    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        migrations.check_file(path)
    _touch_private(path)
    # BEGIN IMMEDIATE for every top-level transaction: a deferred one that reads first cannot
    # wait for the write lock when another process (textdesk send, the engine) wrote meanwhile,
    # and fails at once with "database is locked" whatever the busy timeout.
    database = pw.SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=15, lock_type="IMMEDIATE")
    try:
        database.connect(reuse_if_open=True)
    except pw.DatabaseError as exc:
        raise DatabaseError(migrations.runner.cannot_open(path, exc)) from exc
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
