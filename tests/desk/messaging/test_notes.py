"""Internal notes (never sent, erased with the conversation) and marking a conversation unread;
a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.engine import window_ops
from desk.engine.incoming_rules import RULES
from desk.messaging import inbox, notes
from desk.messaging.notes import NoteError
from desk.store import models as m
from tests.desk.conftest import sms_event

ANNA = "+12015550123"


def _conversation(settings, clock) -> int:
    result = inbox.store_incoming(
        sms_event(ANNA, "Is my crown ready?"), settings=settings, clock=clock, rules=RULES
    )
    assert result.conversation_id is not None
    return result.conversation_id


def test_notes_are_kept_in_order_never_queued_and_erased_with_the_conversation(
    database, settings, clock
):
    cid = _conversation(settings, clock)
    first = notes.add_note(cid, "  Prefers a call after 5.  ", staff="Anna", clock=clock)
    clock.advance(timedelta(minutes=3))
    notes.add_note(cid, "Paid the deposit.", clock=clock)
    rows = notes.notes_for(cid)
    assert [(n.body, n.staff) for n in rows] == [
        ("Prefers a call after 5.", "Anna"),
        ("Paid the deposit.", None),
    ]
    assert notes.notes_for(cid, since=rows[1].created_at) == rows[1:]
    assert not m.Message.select().where(m.Message.direction == m.OUT).exists()  # nothing to send
    notes.delete_note(first)
    assert [n.body for n in notes.notes_for(cid)] == ["Paid the deposit."]
    m.Conversation.delete().where(m.Conversation.id == cid).execute()
    assert m.Note.select().count() == 0


@pytest.mark.parametrize(
    ("text", "words"), [("  ", "needs some text"), ("x" * 2001, "at most 2000")]
)
def test_bad_notes_are_refused_in_words(database, settings, clock, text, words):
    cid = _conversation(settings, clock)
    with pytest.raises(NoteError, match=words):
        notes.add_note(cid, text, clock=clock)
    with pytest.raises(NoteError, match="no longer exists"):
        notes.add_note(cid + 1, "hello", clock=clock)


def test_mark_unread_makes_the_newest_text_unread_again(database, settings, clock):
    cid = _conversation(settings, clock)
    m.Message.update(read=True).execute()
    m.Conversation.update(unread=0).execute()
    assert window_ops.mark_unread(cid)
    assert m.Conversation.get_by_id(cid).unread == 1
    assert [msg.read for msg in m.Message.select()] == [False]
    assert not window_ops.mark_unread(cid + 1)
