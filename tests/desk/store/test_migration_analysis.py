"""Step 3's ANALYZE runs with SQLite's analysis limit (issue 11: the write lock is not held for a
second on a big database; bench/migration_lock.py measures it), the connection's limit is put
back afterwards, and the upgraded schema is still exactly the fresh one."""

from __future__ import annotations

import sqlite3

import peewee

from desk.store.db import close_database, open_database
from desk.store.migrations import runner
from tests.desk.store.schemas import build_at, fresh, schema


def test_step_3_analyzes_within_the_limit_and_the_schema_is_the_fresh_one(
    tmp_path, monkeypatch
) -> None:
    old = tmp_path / "v2.sqlite3"
    build_at(old, 2)
    seen: list[str] = []
    original = sqlite3.connect

    def traced(*args, **kwargs):  # the runner's connection, its statements as SQLite ran them
        con = original(*args, **kwargs)
        con.set_trace_callback(seen.append)
        return con

    monkeypatch.setattr(peewee.sqlite3, "connect", traced)
    database = open_database(old)
    monkeypatch.undo()
    try:
        limit = database.execute_sql("PRAGMA analysis_limit").fetchone()[0]
    finally:
        close_database()
    statements = [s.strip().rstrip(";") for s in seen]
    analyze = statements.index("ANALYZE")
    limits = [i for i, s in enumerate(statements) if s.startswith("PRAGMA analysis_limit")]
    assert statements[max(i for i in limits if i < analyze)] == (
        f"PRAGMA analysis_limit = {runner.ANALYSIS_LIMIT}"
    )
    assert 0 < runner.ANALYSIS_LIMIT <= 1000
    assert limit == 0  # put back: nothing after the upgrade is affected
    assert schema(old) == schema(fresh(tmp_path))
