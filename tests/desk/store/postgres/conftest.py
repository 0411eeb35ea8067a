"""One real PostgreSQL server for the session (tests/helpers/postgres.py); a fresh database each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desk.store.db import close_database
from tests.helpers.postgres import PgServer, running_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with running_server() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    yield pg_server.fresh_database()
    close_database()
