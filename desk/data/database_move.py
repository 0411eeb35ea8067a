"""Moving a shop from its SQLite file to the shop's PostgreSQL server (``textdesk database move``).

``move(sqlite_path, url, password=...)``:

1. The SQLite file is opened read-only (it is left exactly as it was) and must be at this
   TextDesk's schema version (an older one: start TextDesk once, which upgrades it).
2. The target must be empty: no tables at all, or TextDesk's tables with no rows (a counter
   that already opened it; the rows the migrations themselves write, such as modem_owner's,
   do not count and are replaced by the file's). Anything else is refused before anything is written.
3. The schema is made by the frozen PostgreSQL migrations (desk/store/migrations/postgresql),
   never derived from the models; both schemas must hold the same tables and columns.
4. Every table is copied in one transaction, parents before children (foreign keys), in chunks
   with COPY, ids kept; the search tables are filled by the schema's own triggers; each id
   sequence is set past the largest id.
5. Verified before the commit: rows per table equal, and a checksum of every table's rows (as
   PostgreSQL stores them, read back) equal to the one of the rows read from the file. Any
   difference rolls everything back: the target is empty again. The move is audited.

The caller (desk.cli.database) holds the profile lock meanwhile (no engine writes to the file)
and then points the profile at the server (desk.base.paths.write_database_url).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import peewee as pw
import psycopg

from desk.store import audit
from desk.store.db import open_server_database
from desk.store.migrations import DatabaseError
from desk.store.migrations.frozen import POSTGRESQL, SCHEMA_VERSION, STEPS, statements
from desk.store.migrations.runner import VERSION_TABLE

__all__ = ["CHUNK", "MoveError", "MoveResult", "move"]

CHUNK = 5000  # rows per COPY chunk (and per read from the file)
_SERVER_ONLY = {VERSION_TABLE, "message_search", "contact_search"}  # made by the server itself
_SEARCH = {"message_search": "message", "contact_search": "contact"}
Progress = Callable[[str, int, int], None]  # (table, rows copied, rows in the table)


_INSERT = re.compile(r'\s*INSERT INTO "?(\w+)"?', re.IGNORECASE)


def seeded_tables() -> set[str]:
    """Tables the frozen PostgreSQL migrations put rows in (modem_owner's one row): their rows
    are not a shop's data, and the file's rows replace them."""
    return {
        found.group(1)
        for step in STEPS
        for sql in statements(step, POSTGRESQL)
        if (found := _INSERT.match(sql))
    }


class MoveError(RuntimeError):
    """The move was refused or undone; the sentence says why. The SQLite file is untouched."""


@dataclass(frozen=True)
class MoveResult:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied (= verified)

    @property
    def messages(self) -> int:
        return self.rows.get("message", 0)


# --- the file ---------------------------------------------------------------------------------


def _source(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise MoveError(f"There is no TextDesk database at {path} to move.")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    version = int(con.execute("PRAGMA user_version").fetchone()[0])
    if version != SCHEMA_VERSION:
        con.close()
        older = version < SCHEMA_VERSION
        raise MoveError(
            f"{path} is at schema {version}, this TextDesk at {SCHEMA_VERSION}: "
            + ("start TextDesk once (it upgrades the file, keeping a copy), then move it."
               if older else "it comes from a newer TextDesk; move it with that one.")
        )  # fmt: skip
    return con


def _file_tables(con: sqlite3.Connection) -> dict[str, list[str]]:
    """Table -> columns, without SQLite's own and the FTS5 index tables (the server has its own)."""
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
    ).fetchall()
    fts = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE sql LIKE "
                                     "'CREATE VIRTUAL TABLE%'").fetchall()}  # fmt: skip
    tables = {}
    for (name,) in rows:
        if any(name.startswith(f + "_") for f in fts):
            continue  # message_fts_data, _idx, _docsize, _config
        tables[name] = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")')]
    return tables


def _parents_first(con: sqlite3.Connection, tables: list[str]) -> list[str]:
    """``tables`` ordered so that every table comes after the tables its foreign keys name."""
    needs = {
        t: {r[2] for r in con.execute(f'PRAGMA foreign_key_list("{t}")')} - {t} for t in tables
    }
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, parents in needs.items() if not parents - set(ordered))
        if not ready:
            raise MoveError(f"The tables' foreign keys go round in a circle: {sorted(needs)}.")
        ordered += ready
        for t in ready:
            del needs[t]
    return ordered


# --- the server -------------------------------------------------------------------------------


def _sql(database: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in database.execute_sql(sql, params).fetchall()]


def _server_tables(database: Any) -> dict[str, dict[str, str]]:
    """Table -> {column: data type} in the server's current schema."""
    found: dict[str, dict[str, str]] = {}
    rows = _sql(
        database,
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
        "AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' "
        "WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position",
    )
    for table, column, kind in rows:
        found.setdefault(str(table), {})[str(column)] = str(kind)
    return found


def _refuse_unless_empty(database: Any, where: str) -> None:
    tables = _server_tables(database)
    if not tables:
        return
    if VERSION_TABLE not in tables:
        raise MoveError(
            f"The database {where} already holds tables that are not TextDesk's "
            f"({', '.join(sorted(tables)[:5])}): move into an empty database."
        )
    full = []
    for table in sorted(set(tables) - {VERSION_TABLE} - seeded_tables()):
        n = int(_sql(database, f'SELECT count(*) FROM "{table}"')[0][0])
        if n:
            full.append(f"{table} {n}")
    if full:
        raise MoveError(
            f"The database {where} already holds a shop's data ({', '.join(full[:4])} rows): "
            "nothing was copied. Move into an empty database."
        )


def _value(kind: str) -> Callable[[Any], Any]:
    """The file's value as the server's column type holds it (SQLite keeps 0/1, text dates)."""
    if kind == "boolean":
        return lambda v: None if v is None else bool(int(v))
    if kind.startswith("timestamp"):
        return lambda v: v if v is None or isinstance(v, datetime) else datetime.fromisoformat(v)
    if kind == "date":
        return lambda v: v if v is None or isinstance(v, date) else date.fromisoformat(v)
    if kind in ("integer", "bigint", "smallint"):
        return lambda v: None if v is None else int(v)
    if kind in ("double precision", "real", "numeric"):
        return lambda v: None if v is None else float(v)
    if kind == "bytea":
        return lambda v: None if v is None else bytes(v)
    return lambda v: None if v is None else str(v)


def _digest(row: tuple[Any, ...]) -> int:
    return int.from_bytes(hashlib.sha256(repr(row).encode("utf-8")).digest()[:16], "big")


def _chunks(cursor: Any) -> Iterator[list[tuple[Any, ...]]]:
    while True:
        rows = cursor.fetchmany(CHUNK)
        if not rows:
            return
        yield rows


def _copy_table(
    source: sqlite3.Connection,
    database: Any,
    table: str,
    types: dict[str, str],
    progress: Progress | None,
) -> tuple[int, int]:
    """Copy ``table``; (rows, checksum of the rows as sent). The checksum is order-free."""
    columns = list(types)
    convert = [_value(types[c]) for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    total = int(source.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
    done, checksum = 0, 0
    if table in seeded_tables():
        database.execute_sql(f'DELETE FROM "{table}"')  # the migrations' row; the file has its own
    cursor = database.connection().cursor()
    with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for rows in _chunks(source.execute(f'SELECT {names} FROM "{table}"')):
            for raw in rows:
                row = tuple(f(v) for f, v in zip(convert, raw, strict=True))
                copy.write_row(row)
                checksum = (checksum + _digest(row)) % (1 << 128)
            done += len(rows)
            if progress is not None:
                progress(table, done, total)
    return done, checksum


def _server_checksum(database: Any, table: str, columns: list[str]) -> tuple[int, int]:
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = database.connection().cursor(name=f"verify_{table}")  # server-side, in chunks
    cursor.execute(f'SELECT {names} FROM "{table}"')
    count, checksum = 0, 0
    for rows in _chunks(cursor):
        for row in rows:
            checksum = (checksum + _digest(tuple(row))) % (1 << 128)
        count += len(rows)
    cursor.close()
    return count, checksum


def _advance_sequences(database: Any, tables: dict[str, dict[str, str]]) -> None:
    for table, columns in tables.items():
        for column in columns:
            seq = _sql(database, "SELECT pg_get_serial_sequence(%s, %s)", (f'"{table}"', column))
            if seq and seq[0][0]:
                database.execute_sql(
                    f'SELECT setval(%s, COALESCE((SELECT max("{column}") FROM "{table}"), 0) + 1, '
                    "false)",
                    (seq[0][0],),
                )


def move(
    sqlite_path: Path,
    url: str,
    *,
    password: str | None = None,
    where: str = "",
    progress: Progress | None = None,
) -> MoveResult:
    """Copy the shop at ``sqlite_path`` into the empty PostgreSQL database at ``url`` (see the
    module doc). Leaves the models bound to the server. Raises MoveError (nothing kept on the
    server, the file untouched) or DatabaseError (the server cannot be reached)."""
    where = where or url
    source = _source(Path(sqlite_path))
    try:
        file_tables = _file_tables(source)
        database = open_server_database(url, password=password, migrate=False)
        _refuse_unless_empty(database, where)
        open_server_database(url, password=password)  # the frozen PostgreSQL migrations
        server = _server_tables(database)
        copied = {t: c for t, c in server.items() if t not in _SERVER_ONLY}
        if {t: sorted(c) for t, c in copied.items()} != {
            t: sorted(c) for t, c in file_tables.items()
        }:
            raise MoveError(
                "The file's tables and the server's differ "
                f"({sorted(set(file_tables) ^ set(copied)) or 'columns'}): nothing was copied."
            )
        rows: dict[str, int] = {}
        with database.atomic():
            for table in _parents_first(source, list(copied)):
                try:
                    count, sent = _copy_table(source, database, table, copied[table], progress)
                except (pw.DatabaseError, psycopg.Error) as exc:
                    detail = " ".join(str(exc).split())
                    raise MoveError(
                        f"The server refused a row of {table} ({detail}); nothing was kept. "
                        "Fix that row in this PC's TextDesk, then move again."
                    ) from exc
                stored = _server_checksum(database, table, list(copied[table]))
                if stored != (count, sent):
                    raise MoveError(
                        f"The server holds {stored[0]} rows of {table} where {count} were sent, "
                        "or different values: everything was undone."
                    )
                rows[table] = count
            for index, table in _SEARCH.items():
                n = int(_sql(database, f'SELECT count(*) FROM "{index}"')[0][0])
                if n != rows.get(table, 0):
                    raise MoveError(f"Search holds {n} of {rows.get(table, 0)} {table} rows.")
            _advance_sequences(database, copied)
            audit.record(
                "database",
                f"moved from the file {sqlite_path} to the server {where}: "
                f"{rows.get('message', 0)} messages, {rows.get('contact', 0)} contacts, "
                f"{len(rows)} tables verified",
            )
    except (DatabaseError, MoveError):
        raise
    except (pw.DatabaseError, psycopg.Error) as exc:  # a value refused: all rolled back
        detail = " ".join(str(exc).split())
        raise MoveError(f"The server refused the copy ({detail}); nothing was kept.") from exc
    finally:
        source.close()
    return MoveResult(rows)
