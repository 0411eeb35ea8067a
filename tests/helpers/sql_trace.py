"""Counting the SQL a piece of code runs: for tests that require a bounded number of statements
(a page or a tick whose queries must not grow with the data)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import peewee as pw

from desk.store.db import db


@contextmanager
def statements(database: pw.Database | pw.DatabaseProxy = db) -> Iterator[list[str]]:
    """Every SQL statement this thread's connection runs inside the block, in order (SQLite's
    trace callback: the statements as executed, parameters filled in; on PostgreSQL, which has
    no such callback, every statement peewee runs through ``execute_sql`` in this thread)."""
    seen: list[str] = []
    target = database.obj if isinstance(database, pw.DatabaseProxy) else database
    if isinstance(target, pw.PostgresqlDatabase):
        thread = threading.get_ident()
        original = target.execute_sql

        def traced(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == thread:
                seen.append(sql)
            return original(sql, params, *args, **kwargs)

        target.execute_sql = traced  # type: ignore[method-assign]
        try:
            yield seen
        finally:
            del target.execute_sql
        return
    connection = database.connection()
    connection.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        connection.set_trace_callback(None)


def setting_reads(seen: list[str]) -> int:
    """How many of ``seen`` read the settings table."""
    return sum('FROM "setting"' in statement for statement in seen)
