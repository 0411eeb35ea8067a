"""One row read by plain parameterised SQL (``?`` placeholders; the server database turns them
into psycopg's ``%s``), loaded into its model as peewee's cursor would load it.

For lookups on the core thread's hot paths (a staff reply's contact and conversation): building
the SELECT through peewee's query builder cost more than running it. The statement's text is
kept per model and WHERE clause.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import peewee as pw

from desk.store.db import db

__all__ = ["load", "select_one"]

M = TypeVar("M", bound=pw.Model)

_SQL: dict[tuple[type[pw.Model], str], tuple[list[pw.Field], str]] = {}


def load(model: type[M], fields: list[pw.Field], values: tuple[Any, ...]) -> M:
    """A model as peewee's cursor wrapper makes it: stored values converted, nothing dirty."""
    obj = cast("Any", model)(__no_default__=1)
    data = obj.__data__
    for f, value in zip(fields, values, strict=True):
        data[f.name] = None if value is None else f.python_value(value)  # type: ignore[no-untyped-call]
    obj._dirty.clear()
    return cast("M", obj)


def select_one(model: type[M], where: str, params: tuple[Any, ...]) -> M | None:
    """The first row of ``model``'s table matching ``where`` (plain SQL with ``?``), or None."""
    key = (model, where)
    found = _SQL.get(key)
    if found is None:
        meta = cast("Any", model)._meta
        fields = list(meta.sorted_fields)
        cols = ", ".join(f.column_name for f in fields)
        found = _SQL[key] = (fields, f"SELECT {cols} FROM {meta.table_name} WHERE {where} LIMIT 1")
    fields, sql = found
    row = db.execute_sql(sql, params).fetchone()
    return None if row is None else load(model, fields, tuple(row))
