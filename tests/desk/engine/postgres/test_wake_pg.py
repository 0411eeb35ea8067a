"""When the core next wakes for a queued text, on a real PostgreSQL server (desk.engine.wake): the
SQLite query's two-argument MAX and '' timestamps are refused there, which made every idle core on
a server fall back to a cycle a second."""

from __future__ import annotations

from datetime import timedelta

from desk.engine import wake
from desk.store.models import Message
from tests.desk.engine.postgres.conftest import NOW, queue_texts


def naive(minutes: int):
    return (NOW + timedelta(minutes=minutes)).replace(tzinfo=None)


def test_send_due_at_on_the_server(pg_url: str) -> None:
    assert wake.send_due_at() is None  # nothing queued
    first, second = queue_texts(2)
    assert wake.send_due_at() == wake.NOW  # neither a retry time nor a hold: due now
    Message.update(next_attempt_at=naive(5)).where(Message.id == first).execute()
    Message.update(not_before=naive(9), next_attempt_at=naive(3)).where(
        Message.id == second
    ).execute()
    assert wake.send_due_at() == NOW + timedelta(minutes=5)  # the later of the two, the soonest
    Message.update(not_before=naive(2)).where(Message.id == first).execute()
    assert wake.send_due_at() == NOW + timedelta(minutes=5)
    Message.update(state="sent").where(Message.id == first).execute()
    assert wake.send_due_at() == NOW + timedelta(minutes=9)
