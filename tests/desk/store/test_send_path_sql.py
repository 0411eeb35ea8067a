"""A staff reply's path on the core thread (desk.engine.operations.send) in plain SQL, on both
engines (a real SQLite file and the session's real PostgreSQL server): settings read once,
the contact and conversation found or created, the conversation touched without undoing what
was stored meanwhile, the late-reminder note cleared, and the refusals still applied."""

from __future__ import annotations

from datetime import UTC, datetime

import peewee as pw
import pytest

from desk.base.clock import FakeClock
from desk.engine import operations as ops
from desk.messaging import contacts
from desk.messaging.outbox import SendRefused
from desk.store import attention
from desk.store import models as m
from desk.store.settings import Settings

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
ANNA = "+12025550140"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def test_settings_read_by_plain_sql(database: pw.Database) -> None:
    settings = Settings()
    assert settings.get("signature") == "" and settings.get("rate_per_day") == 300
    settings.set("signature", "- Anna")
    settings.set("rate_per_day", "50")
    assert settings.get("signature") == "- Anna" and settings.get("rate_per_day") == 50
    snap = settings.snapshot()
    assert snap.signature == "- Anna" and snap.rate_per_day == 50 and snap.get("sound") is False


def test_a_reply_reads_the_settings_it_needs_and_signs(
    database: pw.Database, clock: FakeClock
) -> None:
    settings = Settings()
    settings.set("signature", "- Anna")
    settings.set("staff_name", "Anna")
    settings.set("default_country", "GB")
    message_id = ops.send("07700 900123", "Hello", staff=None, settings=settings, clock=clock)
    message = m.Message.get_by_id(message_id)
    assert message.body == "Hello\n- Anna" and message.staff == "Anna"
    assert message.conversation.contact.number == "+447700900123"
    assert message.state == m.QUEUED and message.source == "staff"
    parts = list(m.MessagePart.select().where(m.MessagePart.message == message_id))
    assert [(p.seq, p.number, p.state) for p in parts] == [(1, "+447700900123", "pending")]
    again = ops.send("+447700900123", "Bye", staff="Ben", settings=settings, clock=clock)
    assert m.Message.get_by_id(again).staff == "Ben"
    assert m.Contact.select().count() == 1 and m.Conversation.select().count() == 1
    conv = m.Conversation.get()
    assert conv.last_preview == "Bye - Anna" and conv.last_direction == m.OUT
    assert conv.last_activity_at == message.created_at


def test_opted_out_and_unknown_are_still_refused(database: pw.Database, clock: FakeClock) -> None:
    settings = Settings()
    contact = contacts.contact_for_number(ANNA, clock=clock)
    m.Contact.update(opted_out=True).where(m.Contact.id == contact.id).execute()
    with pytest.raises(SendRefused, match="has opted out of texts"):
        ops.send(ANNA, "Hello", staff=None, settings=settings, clock=clock)
    with pytest.raises(SendRefused, match="no contact"):
        ops.send(contact.id + 99, "Hello", staff=None, settings=settings, clock=clock)
    with pytest.raises(SendRefused):
        ops.send("not a number", "Hello", staff=None, settings=settings, clock=clock)
    assert m.Message.select().count() == 0


def test_a_reply_clears_a_late_reminder_only(database: pw.Database, clock: FakeClock) -> None:
    settings = Settings()
    contact = contacts.contact_for_number(ANNA, clock=clock)
    conv = contacts.conversation_for(contact, clock=clock)
    attention.raise_cause(conv.id, m.ATTENTION_REMINDER_LATE, m.ATTENTION_FAILED)
    ops.send(contact.id, "On our way", staff="Ben", settings=settings, clock=clock)
    row = m.Conversation.get_by_id(conv.id)
    assert row.attention_list == [m.ATTENTION_FAILED] and row.needs_attention is True
    attention.clear_cause(conv.id, m.ATTENTION_FAILED)
    row = m.Conversation.get_by_id(conv.id)
    assert row.attention == "" and row.needs_attention is False


def test_touch_writes_its_fields_and_keeps_what_was_stored_meanwhile(
    database: pw.Database, clock: FakeClock
) -> None:
    contact = contacts.contact_for_number(ANNA, clock=clock)
    conv = contacts.conversation_for(contact, clock=clock)
    m.Conversation.update(status=m.DONE).where(m.Conversation.id == conv.id).execute()
    conv = contacts.conversation_for(contact, clock=clock)  # read as done
    attention.raise_cause(conv.id, m.ATTENTION_OPTOUT_TEXT)  # stored after it was read
    m.Conversation.update(assigned_to="Ben").where(m.Conversation.id == conv.id).execute()
    incoming = m.Message.create(
        conversation=conv, direction=m.IN, body="Can I come at 3?", state="received",
        created_at=clock.now().replace(tzinfo=None), read=False,
    )  # fmt: skip
    contacts.touch(conv, incoming)
    row = m.Conversation.get_by_id(conv.id)
    assert (row.status, row.unread, row.last_preview) == (m.OPEN, 1, "Can I come at 3?")
    assert row.last_activity_at == incoming.created_at and row.last_direction == m.IN
    assert row.attention_list == [m.ATTENTION_OPTOUT_TEXT] and row.assigned_to == "Ben"


def test_a_name_fills_only_a_nameless_contact(database: pw.Database, clock: FakeClock) -> None:
    first = contacts.contact_for_number(ANNA, clock=clock)
    assert first.name is None and first.created_at == clock.now().replace(tzinfo=None)
    assert contacts.contact_for_number(ANNA, clock=clock, name="Anna").name == "Anna"
    assert contacts.contact_for_number(ANNA, clock=clock, name="Other").name == "Anna"
    assert m.Contact.get_by_id(first.id).name == "Anna"
    assert contacts.contact_for(first.id, country="US", clock=clock).number == ANNA
