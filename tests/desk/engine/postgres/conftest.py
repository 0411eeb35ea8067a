"""The multi-counter core on a real PostgreSQL server (tests/helpers/postgres.py): a fresh database
each test, migrated, with the models bound to it (the test's thread and each thread it starts get
their own connection, as counters would)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from desk.store.db import close_database, open_server_database
from desk.store.models import OUT, QUEUED, Contact, Conversation, Message
from tests.helpers.postgres import PgServer

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    url = pg_server.fresh_database()  # pg_server: tests/conftest.py's, one server a session
    open_server_database(url)
    yield url
    close_database()


def queue_texts(count: int, *, number: str = "+12025550143") -> list[int]:
    """``count`` queued outgoing texts to one customer; their ids in send order."""
    contact = Contact.create(number=number, name="Ana Lima", created_at=NOW.replace(tzinfo=None))
    conv = Conversation.create(contact=contact, last_activity_at=NOW.replace(tzinfo=None))
    ids = []
    for n in range(count):
        message = Message.create(
            conversation=conv, direction=OUT, body=f"text {n}", state=QUEUED,
            created_at=NOW.replace(tzinfo=None, microsecond=n),
        )  # fmt: skip
        ids.append(message.id)
    return ids
