"""Counting the SQL a piece of code runs: for tests that require a bounded number of statements
(a page or a tick whose queries must not grow with the data)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import peewee as pw

from desk.store.db import db


@contextmanager
def statements(database: pw.Database | pw.DatabaseProxy = db) -> Iterator[list[str]]:
    """Every SQL statement this thread's connection runs inside the block, in order (SQLite's
    trace callback: the statements as executed, parameters filled in)."""
    seen: list[str] = []
    connection = database.connection()
    connection.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        connection.set_trace_callback(None)


def setting_reads(seen: list[str]) -> int:
    """How many of ``seen`` read the settings table."""
    return sum('FROM "setting"' in statement for statement in seen)
