"""Opening the database: SQLite (pragmas for durability, file permissions) or the shop's PostgreSQL
server (several counters, one inbox), then the migrations.

``db`` is the DatabaseProxy every model is bound to. peewee gives each thread its own connection,
so the engine's core thread (the only writer) and the GUI thread (a reader) never share one.

Imports run one way inside desk.store: models -> db -> migrations. The migrations package reads
frozen SQL and knows no model, so it defines DatabaseError, which open_database raises too (import
it from desk.store.migrations).
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Any

import peewee as pw

from desk.store import migrations
from desk.store.migrations import DatabaseError

__all__ = [
    "PRAGMAS",
    "close_database",
    "db",
    "open_database",
    "open_server_database",
]

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


def server_params(url: str) -> dict[str, Any]:
    """peewee/psycopg connection parameters from ``postgresql://user@host:port/dbname?...``.

    Query parameters pass through to the driver (``sslmode=verify-full``, ``sslrootcert=...``
    for a server that is not on this PC); a password in the URL is refused, since URLs end up
    in settings and logs: it comes from the OS keyring instead."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise DatabaseError(f"“{url}” is not a PostgreSQL address (postgresql://user@host/db).")
    if parts.password:
        raise DatabaseError(
            "The database address holds a password: TextDesk keeps it in this computer's "
            "password store instead (textdesk database-password). Remove it from the address."
        )
    name = parts.path.lstrip("/")
    if not name or not parts.hostname:
        raise DatabaseError(f"“{url}” names no server or database (postgresql://user@host/db).")
    params: dict[str, Any] = {"database": name, "host": parts.hostname, "connect_timeout": 10}
    if parts.port:
        params["port"] = parts.port
    if parts.username:
        params["user"] = urllib.parse.unquote(parts.username)
    for key, value in urllib.parse.parse_qsl(parts.query):
        params[key] = value
    return params


# SQLite's lock types, which callers give for a write that must not wait half-way
# (``db.atomic("IMMEDIATE")``). PostgreSQL's writers take row locks as they go and wait for
# each other there, so such a transaction is an ordinary one on the server.
_SQLITE_LOCK_TYPES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})


class ServerDatabase(pw.PostgresqlDatabase):
    """The shop's PostgreSQL database; takes SQLite's lock types as a plain BEGIN, and the
    ``?`` placeholders of TextDesk's hand-written SQL (written for SQLite) as psycopg's ``%s``.
    SQL with ``%s`` already (peewee's own, desk.read.search_pg) passes unchanged."""

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if params and "?" in sql and "%s" not in sql:
            sql = sql.replace("%", "%%").replace("?", "%s")
        return super().execute_sql(sql, params)  # type: ignore[no-untyped-call]

    def begin(self, isolation_level: Any = None) -> None:
        if isinstance(isolation_level, str) and isolation_level.upper() in _SQLITE_LOCK_TYPES:
            isolation_level = None
        super().begin(isolation_level)


def open_server_database(
    url: str, *, password: str | None = None, migrate: bool = True
) -> pw.PostgresqlDatabase:
    """Open the shop's PostgreSQL database at ``url`` and bind the models to it.

    A database from a newer TextDesk is refused; an older schema is upgraded (each step in its
    own transaction under an advisory lock, so counters starting together take turns)."""
    params = server_params(url)
    name = str(params.pop("database"))
    if password:
        params["password"] = password
    database = ServerDatabase(name, prefer_psycopg3=True, **params)
    try:
        database.connect(reuse_if_open=True)
    except pw.DatabaseError as exc:
        where = f"{params.get('host')}:{params.get('port', 5432)}/{name}"
        raise DatabaseError(f"Cannot reach the shop's database at {where}: {exc}".strip()) from exc
    db.initialize(database)
    if migrate:
        migrations.migrate(database)
    return database


def close_database() -> None:
    if db.obj is not None and not db.is_closed():
        db.close()
