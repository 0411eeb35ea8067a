"""Plain SQL for the reminders materialised in batches (``desk.reminders.materialise``): reads
as tuples and multi-row inserts with no model objects, which cost more than the SQL. ``?``
placeholders on either database (``ServerDatabase`` turns them into psycopg's ``%s``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from desk.base.clock import utc
from desk.store.db import db
from desk.store.models import BaseModel

ROWS_PER_STATEMENT = 500  # rows in one multi-row INSERT (well inside both databases' limits)


def marks(n: int) -> str:
    return ", ".join("?" * n)


def as_utc(value: object) -> datetime:
    """A DATETIME column's value (SQLite's text, PostgreSQL's naive datetime) as aware UTC."""
    return utc(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))


def fetch(sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
    return list(db.execute_sql(sql, list(params)).fetchall())


def many(sql: str, rows: Sequence[Sequence[object]]) -> None:
    """One prepared statement run for each of ``rows`` (``?`` placeholders on either database)."""
    if rows:
        if db.param != "?":
            sql = sql.replace("?", db.param)
        db.cursor().executemany(sql, rows)


@functools.lru_cache(maxsize=64)
def _columns(model: type[BaseModel], names: tuple[str, ...]) -> tuple[str, tuple[object, ...]]:
    """The quoted columns of ``names`` then of the fields they leave out that have a default,
    and those defaults (what peewee would write for ``model.create``)."""
    meta = model._meta
    extra = [f for f in meta.sorted_fields if f.name not in names and f.default is not None]
    defaults = tuple(f.db_value(f.default() if callable(f.default) else f.default) for f in extra)
    fields = [meta.fields[name] for name in names] + extra
    return ", ".join(f'"{f.column_name}"' for f in fields), defaults


def insert(
    model: type[BaseModel],
    names: tuple[str, ...],
    rows: Sequence[tuple[object, ...]],
    *,
    returning: str | None = None,
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values ready for the database, in the order of ``names``; the other
    fields get their defaults) in multi-row statements; the ``returning`` columns of each row
    inserted, in no particular order."""
    if not rows:
        return []
    columns, defaults = _columns(model, names)
    table = model._meta.table_name
    one = f"({marks(len(names) + len(defaults))})"
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        sql = f'INSERT INTO "{table}" ({columns}) VALUES {", ".join([one] * len(chunk))}'
        params = [value for row in chunk for value in (*row, *defaults)]
        if returning is None:
            db.execute_sql(sql, params)
        else:
            out.extend(fetch(f"{sql} RETURNING {returning}", params))
    return out
