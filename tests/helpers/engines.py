"""The storage suite on both engines: the ``database`` fixture of tests/desk/store, messaging and
read is parametrised over ``ENGINES`` (ids in the test names: ``test_x[sqlite]``,
``test_x[postgresql]``). SQLite gets a real file; PostgreSQL a fresh migrated database on the
session's real server (tests/helpers/postgres.py), the models bound to it either way.

A test about SQLite itself (FTS5 internals, PRAGMAs, file size, WAL bytes) carries
``@pytest.mark.sqlite_only("why")``: it runs on SQLite and is skipped, with that reason, on
PostgreSQL only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import peewee as pw
import pytest

from desk.store.db import close_database, open_database, open_server_database

ENGINES = ["sqlite", "postgresql"]


def open_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pw.Database]:
    """The body of a parametrised ``database`` fixture (``request.param`` is the engine)."""
    engine = request.param
    if engine == "postgresql":
        marker = request.node.get_closest_marker("sqlite_only")
        if marker is not None:
            pytest.skip(f"SQLite only: {marker.args[0] if marker.args else 'about SQLite itself'}")
    close_database()
    database: pw.Database
    if engine == "sqlite":
        database = open_database(tmp_path / "textdesk.sqlite3")
    else:
        database = open_server_database(request.getfixturevalue("pg_server").migrated_database())
    try:
        yield database
    finally:
        database.close()
        close_database()
