"""The demo shop has everything the window must show: unread, uncertain, failed, opted out…"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from desk.base.clock import FakeClock
from desk.demo.shop import populate
from desk.store import models as m
from desk.store.db import close_database, open_database
from desk.store.settings import Settings


def test_demo_shop_has_every_state(tmp_path: Path) -> None:
    open_database(tmp_path / "demo.sqlite3")
    try:
        summary = populate(clock=FakeClock(datetime(2026, 3, 10, 15, 0, tzinfo=UTC)))
        assert 20 <= summary.contacts <= 30 and summary.conversations == summary.contacts
        states = {s for (s,) in m.Message.select(m.Message.state).tuples()}
        assert {m.DELIVERED, m.SENT, m.FAILED, m.UNCERTAIN, m.RECEIVED, m.INCOMPLETE} <= states
        assert m.Conversation.select().where(m.Conversation.unread > 0).count() >= 4
        assert m.Contact.select().where(m.Contact.opted_out == True).count() == 1  # noqa: E712
        assert m.Contact.select().where(m.Contact.callback_requested == True).count() == 1  # noqa: E712
        (masked,) = m.Message.select().where(m.Message.masked == True)  # noqa: E712
        # the masked text is the customer's own, card hidden as the app would hide it
        assert masked.body.startswith("Here is my insurance card: •••• •••• •••• 1111")
        assert "4111" not in masked.body and masked.flags == "sensitive"
        assert Settings().get("shop_name") == "Smile Dental"
        assert m.Template.select().count() >= 4
        # Unread counts agree with the unread messages.
        for conv in m.Conversation.select():
            n = conv.messages.where(m.Message.read == False).count()  # noqa: E712
            assert conv.unread == n
        # Idempotent: a second call adds nothing.
        before = m.Message.select().count()
        populate()
        assert m.Message.select().count() == before
    finally:
        close_database()
