"""``database`` for this folder's tests that ask for it: a real SQLite file and a fresh migrated
database on the session's real PostgreSQL server (tests/helpers/engines.py). The older tests
here open SQLite themselves (``dbpath``) and are not affected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import peewee as pw
import pytest

from tests.helpers.engines import ENGINES, open_engine


@pytest.fixture(params=ENGINES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pw.Database]:
    yield from open_engine(request, tmp_path)
