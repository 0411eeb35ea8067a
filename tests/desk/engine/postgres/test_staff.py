"""Staff presence and assignment (schema 7) on both engines: a real PostgreSQL server and a real
SQLite file, the same calls and the same answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from desk.store import counters
from desk.store.db import close_database, db, open_database, open_server_database
from desk.store.models import Conversation
from tests.desk.engine.postgres.conftest import NOW, queue_texts


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path) -> Iterator[str]:
    close_database()
    if request.param == "sqlite":
        open_database(tmp_path / "one-pc.sqlite3")
    else:
        open_server_database(request.getfixturevalue("pg_server").fresh_database())
    yield request.param
    close_database()


def test_presence_and_who_is_replying(engine):
    queue_texts(1)
    conv = Conversation.select().get().id
    with db.atomic():
        counters.seen("Anna", "front-desk", NOW, replying_to=conv)
        counters.seen("Ben", "back-office", NOW - timedelta(seconds=30))
        counters.seen("Cleo", "owners-laptop", NOW - timedelta(minutes=5))  # gone a while
    assert counters.present(NOW) == [("Anna", "front-desk"), ("Ben", "back-office")]
    assert counters.replying_in(conv, NOW, besides="Ben") == ["Anna"]
    assert counters.replying_in(conv, NOW, besides="Anna") == []
    assert counters.replying_in(conv, NOW + timedelta(seconds=20)) == []  # stopped typing
    with db.atomic():
        counters.seen("Anna", "back-office", NOW + timedelta(seconds=5))  # moved, not typing
        counters.signed_out("Ben")
    assert counters.present(NOW + timedelta(seconds=5)) == [("Anna", "back-office")]
    assert counters.Staff.select().count() == 3  # one row each, updated in place
    with pytest.raises(ValueError, match="cannot be empty"):
        counters.seen("  ", "front-desk", NOW)


def test_assigning_a_conversation(engine):
    queue_texts(1)
    conv = Conversation.select().get().id
    counters.seen("Anna", "front-desk", NOW)
    counters.assign(conv, "Anna")
    assert Conversation.get_by_id(conv).assigned_to == "Anna"
    with pytest.raises(ValueError, match="Nobody called Zed"):
        counters.assign(conv, "Zed")
    with pytest.raises(ValueError, match="no conversation 999"):
        counters.assign(999, "Anna")
    counters.assign(conv, None)
    assert Conversation.get_by_id(conv).assigned_to is None
    mine = Conversation.select().where(Conversation.assigned_to == "Anna").count()
    unassigned = Conversation.select().where(Conversation.assigned_to.is_null()).count()
    assert (mine, unassigned) == (0, 1)
