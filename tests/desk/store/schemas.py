"""Schemas as values that compare with ==, databases at old versions built from the frozen files
alone (without the runner), and a check of a schema against what peewee models declare."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import peewee as pw

from desk.store.db import close_database, open_database
from desk.store.migrations import STEPS, frozen


def build_at(path: Path, version: int) -> None:
    """A database at ``version`` made from the frozen SQLite files, without the runner."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        apply_steps(con, 0, version)
    finally:
        con.close()


def apply_steps(con: sqlite3.Connection, after: int, upto: int) -> None:
    for step in STEPS:
        if after < step.version <= upto:
            con.execute("BEGIN IMMEDIATE")
            for sql in frozen.split_sqlite(frozen.read_sql(step)):
                con.execute(sql)
            con.execute(f"PRAGMA user_version = {step.version}")
            con.execute("COMMIT")


def fresh(tmp_path: Path) -> Path:
    path = tmp_path / "fresh.sqlite3"
    open_database(path)
    close_database()
    return path


def schema_of(con: sqlite3.Connection) -> dict[str, Any]:
    """Everything that makes up a schema, as plain values that compare with ==."""
    master = sorted(
        con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(),
        key=lambda r: (r[0], r[1]),
    )
    tables: dict[str, Any] = {}
    for kind, name, _tbl, sql in master:
        if kind != "table":
            continue
        indexes = {}
        for _seq, index, unique, origin, partial in con.execute(f'PRAGMA index_list("{name}")'):
            where = None
            if partial:
                (index_sql,) = con.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (index,)
                ).fetchone()
                where = index_sql[index_sql.upper().index(" WHERE ") :]
            indexes[index] = {
                "unique": unique,
                "origin": origin,
                "where": where,
                "columns": con.execute(f'PRAGMA index_xinfo("{index}")').fetchall(),
            }
        tables[name] = {
            "virtual": sql.upper().startswith("CREATE VIRTUAL TABLE"),
            # cid, name, type, notnull, default, pk, hidden
            "columns": con.execute(f'PRAGMA table_xinfo("{name}")').fetchall(),
            "foreign_keys": sorted(con.execute(f'PRAGMA foreign_key_list("{name}")').fetchall()),
            "indexes": indexes,
        }
    triggers = {n: (tbl, sql) for kind, n, tbl, sql in master if kind == "trigger"}
    version = con.execute("PRAGMA user_version").fetchone()[0]
    return {"version": version, "master": master, "tables": tables, "triggers": triggers}


def schema(path: Path) -> dict[str, Any]:
    con = sqlite3.connect(path)
    try:
        return schema_of(con)
    finally:
        con.close()


def rows_of(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (FTS5's own tables too), by column name, in rowid order."""
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        names = [
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if r[0] != "sqlite_stat1"  # statistics, rewritten by ANALYZE
        ]
        return {n: [dict(r) for r in con.execute(f'SELECT * FROM "{n}"')] for n in names}
    finally:
        con.close()


def kept(before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]) -> bool:
    """Whether ``after`` still holds every row of ``before`` with the values it had (columns an
    upgrade added are not compared)."""
    for table, rows in before.items():
        old = [{c: r[c] for c in rows[0]} for r in after.get(table, [])] if rows else []
        if old != rows:
            return False
    return True


def affinity(declared: str) -> str:
    """SQLite's type affinity of a declared column type (sqlite.org/datatype3.html, 3.1)."""
    d = declared.upper()
    if "INT" in d:
        return "INTEGER"
    if any(k in d for k in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in d or not d:
        return "BLOB"
    if any(k in d for k in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def declared_by(model_classes: list[type[pw.Model]]) -> dict[str, Any]:
    """The schema peewee would create for ``model_classes``, read back from an in-memory SQLite."""
    scratch = pw.SqliteDatabase(":memory:")
    with scratch.bind_ctx(model_classes):
        scratch.create_tables(model_classes)
        return schema_of(scratch.connection())


def model_mismatches(model_classes: list[type[pw.Model]], path: Path) -> list[str]:
    """How the database at ``path`` differs from what the models need; empty when it fits."""
    want = declared_by(model_classes)["tables"]
    have = schema(path)["tables"]
    problems = []
    for table, spec in want.items():
        if table not in have:
            problems.append(f"no table {table}")
            continue
        got = have[table]

        def cols(t: dict[str, Any]) -> dict[str, tuple[str, int, int]]:
            return {c[1]: (affinity(c[2]), c[3], c[5]) for c in t["columns"]}

        if cols(spec) != cols(got):
            problems.append(f"{table} columns: models {cols(spec)} != schema {cols(got)}")

        def fks(t: dict[str, Any]) -> set[tuple[str, str, str, str]]:
            return {(f[3], f[2], f[4], f[6]) for f in t["foreign_keys"]}  # from, table, to, on del

        if fks(spec) != fks(got):
            problems.append(f"{table} foreign keys: models {fks(spec)} != schema {fks(got)}")

        def keyed(t: dict[str, Any]) -> set[tuple[int, tuple[str, ...]]]:
            return {
                (i["unique"], tuple(c[2] for c in i["columns"] if c[5]))
                for i in t["indexes"].values()
                if i["where"] is None
            }

        missing = keyed(spec) - keyed(got)
        if missing:
            problems.append(f"{table} lacks the indexes the models declare: {sorted(missing)}")
    fts = {n for n, t in have.items() if t["virtual"]}
    for table in have:
        owned = table in want or table in fts or table.startswith("sqlite_")
        if not owned and not any(table.startswith(f + "_") for f in fts):
            problems.append(f"table {table} belongs to no model")
    return problems
