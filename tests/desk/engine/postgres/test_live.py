"""Live updates between counters on a real PostgreSQL server: a change committed on one connection
reaches a listener on another within a second as the core's events; nothing for a rolled-back
change or for the counter's own; a listener whose connection is cut says so and comes back."""

from __future__ import annotations

import queue
import time

import psycopg
import pytest

from desk.base import events as ev
from desk.engine import live
from desk.engine.owner import connector
from desk.store.db import close_database, db, open_database
from desk.store.models import DONE, IN, SENT, Conversation, Message
from tests.desk.engine.postgres.conftest import NOW, queue_texts
from tests.desk.engine.postgres.test_owner import kill_sessions
from tests.helpers.waits import wait_until


class Window:
    """What the other counter's core would get, with when each event came."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue[tuple[float, ev.DeskEvent]] = queue.Queue()
        self.listener = live.Listener(
            connector(url, name="listener-b"),
            lambda e: self.events.put((time.monotonic(), e)),
            origin="counter-b", timeout=0.2, retry_every=0.1,
        )  # fmt: skip

    def __enter__(self) -> Window:
        self.listener.start()
        assert self.listener.listening.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.stop()

    def next(self, timeout: float = 1.0) -> tuple[float, ev.DeskEvent]:
        return self.events.get(timeout=timeout)

    def nothing_more(self) -> bool:
        return self.events.empty()


def test_a_change_committed_on_one_connection_reaches_a_listener_on_another_within_a_second(
    pg_url,
):
    (out_id,) = queue_texts(1)
    conv_id = Message.get_by_id(out_id).conversation_id
    with Window(pg_url) as b:
        lags = []
        with db.atomic():
            incoming = Message.create(
                conversation=conv_id, direction=IN, body="Is it ready?", state="received",
                created_at=NOW.replace(tzinfo=None), read=False,
            )  # fmt: skip
            live.notify(live.MESSAGE_ADDED, incoming.id, origin="counter-a")
        committed = time.monotonic()
        at, event = b.next()
        lags.append(at - committed)
        assert event == ev.MessageAdded(incoming.id, conv_id, IN)
        assert b.next()[1] == ev.ConversationUpdated(conv_id)

        with db.atomic():
            Message.update(state=SENT).where(Message.id == out_id).execute()
            live.notify(live.MESSAGE_UPDATED, out_id, origin="counter-a")
        committed = time.monotonic()
        at, event = b.next()
        lags.append(at - committed)
        assert event == ev.MessageUpdated(out_id, conv_id, SENT)
        assert b.next()[1] == ev.ConversationUpdated(conv_id)

        with db.atomic():
            Conversation.update(status=DONE, assigned_to="Anna").where(
                Conversation.id == conv_id
            ).execute()
            live.notify(live.CONVERSATION_UPDATED, conv_id, origin="counter-a")
        committed = time.monotonic()
        at, event = b.next()
        lags.append(at - committed)
        assert event == ev.ConversationUpdated(conv_id)
        live.notify(live.CONVERSATION_REMOVED, conv_id, origin="counter-a")  # outside: at once
        assert b.next()[1] == ev.ConversationRemoved(conv_id)
        live.notify(live.PRESENCE, conv_id, origin="counter-a")
        assert b.next()[1] == ev.PresenceChanged(conv_id)
        live.notify(live.PRESENCE, 0, origin="counter-a")  # signed in or out
        assert b.next()[1] == ev.PresenceChanged(None)
        assert max(lags) < 1.0, lags  # measured: a few milliseconds
        assert b.nothing_more()


def test_nothing_for_a_change_rolled_back_or_for_the_counters_own(pg_url):
    (mid,) = queue_texts(1)
    conv_id = Message.get_by_id(mid).conversation_id
    with Window(pg_url) as b:
        with db.atomic() as txn:
            live.notify(live.MESSAGE_UPDATED, mid, origin="counter-a")
            txn.rollback()
        with db.atomic():
            live.notify(live.MESSAGE_ADDED, mid, origin="counter-b")  # its own: skipped
        with db.atomic():
            live.notify(live.CONVERSATION_UPDATED, conv_id, origin="counter-a")
        # Delivered in commit order: the last one arriving first means none came before it.
        assert b.next()[1] == ev.ConversationUpdated(conv_id)
        time.sleep(0.2)
        assert b.nothing_more()
        assert b.listener.received == 2  # the rolled-back one never reached the server's queue
        with psycopg.connect(pg_url, autocommit=True) as other:  # not TextDesk's: ignored
            other.execute("SELECT pg_notify('textdesk', 'hello there')")
        live.notify(live.CONVERSATION_UPDATED, conv_id, origin="counter-a")
        assert b.next()[1] == ev.ConversationUpdated(conv_id)


def test_a_listener_whose_connection_is_cut_says_so_and_comes_back(pg_url):
    (mid,) = queue_texts(1)
    conv_id = Message.get_by_id(mid).conversation_id
    with Window(pg_url) as b:
        assert kill_sessions(pg_url, "listener-b") == 1
        _, down = b.next(timeout=3)
        assert isinstance(down, ev.Problem) and down.severity == "warning"
        assert "no longer show here at once" in down.text
        _, back = b.next(timeout=3)
        assert back == ev.Problem("Changes made at the other counters show here at once again.",
                                  "info")  # fmt: skip
        # what was notified while it was down is lost: one re-read (the core runs a cycle)
        assert b.next()[1] == ev.PresenceChanged(None)
        assert b.listener.reconnects == 1
        live.notify(live.CONVERSATION_UPDATED, conv_id, origin="counter-a")
        assert b.next()[1] == ev.ConversationUpdated(conv_id)


def test_on_sqlite_notify_does_nothing_and_unknown_kinds_are_refused(tmp_path):
    close_database()
    open_database(tmp_path / "one-pc.sqlite3")
    try:
        assert live.notify(live.MESSAGE_ADDED, 1) is None  # no server, no error
        with pytest.raises(ValueError, match="unknown live update"):
            live.notify("message_deleted", 1)
        with pytest.raises(ValueError):
            live.events_for("hello there")
    finally:
        close_database()


def test_the_cores_own_events_become_notifications_the_others_receive(pg_url):
    (mid,) = queue_texts(1)
    conv_id = Message.get_by_id(mid).conversation_id
    with Window(pg_url) as b:
        with db.atomic():
            for event in (
                ev.MessageUpdated(mid, conv_id, "queued"),
                ev.ConversationUpdated(conv_id),
                ev.PresenceChanged(conv_id),
                ev.QueueChanged(1),  # this counter's own business: not sent
            ):
                live.notify_event(event, origin="counter-a")
        got = [b.next()[1] for _ in range(4)]
        assert got == [
            ev.MessageUpdated(mid, conv_id, "queued"),
            ev.ConversationUpdated(conv_id),
            ev.ConversationUpdated(conv_id),
            ev.PresenceChanged(conv_id),
        ]
        time.sleep(0.2)
        assert b.nothing_more()
    assert live.notify_event(ev.QueueChanged(1)) is False


def test_a_failing_emit_does_not_end_live_updates(pg_url):
    (mid,) = queue_texts(1)
    conv_id = Message.get_by_id(mid).conversation_id
    got: list[ev.DeskEvent] = []

    def emit(event: ev.DeskEvent) -> None:
        got.append(event)
        if len(got) == 1:
            raise RuntimeError("the engine's bug")

    listener = live.Listener(connector(pg_url, name="listener-c"), emit, origin="c", timeout=0.2)
    listener.start()
    try:
        assert listener.listening.wait(5)
        live.notify(live.CONVERSATION_UPDATED, conv_id, origin="a")
        live.notify(live.CONVERSATION_REMOVED, conv_id, origin="a")
        wait_until(lambda: len(got) == 2, timeout=2)
        assert got == [ev.ConversationUpdated(conv_id), ev.ConversationRemoved(conv_id)]
    finally:
        listener.stop()
