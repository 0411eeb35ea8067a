"""What the reminders tests share: a real SQLite file with the shop in New York and a FakeClock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from desk.base.clock import FakeClock
from desk.store.db import close_database, open_database
from desk.store.settings import Settings


@pytest.fixture
def env(tmp_path):
    database = open_database(tmp_path / "t.sqlite3")
    settings = Settings()
    settings.set("timezone", "America/New_York")
    settings.set("shop_name", "Smile Dental")
    clock = FakeClock(datetime(2026, 12, 1, 14, 0, tzinfo=UTC))  # 09:00 in New York
    yield settings, clock
    database.close()
    close_database()
