"""desk.store.attention: the causes behind needs_attention, each raised and ended by its own
path, on a real SQLite file (issue 13 item 10)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from desk.base.clock import FakeClock, to_db
from desk.compliance import consent, retention
from desk.engine import operations as ops
from desk.store import attention
from desk.store import models as m
from desk.store.db import close_database, open_database

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def conv(tmp_path):
    open_database(tmp_path / "t.sqlite3")
    contact = m.Contact.create(number="+12025550140", created_at=to_db(NOW))
    yield m.Conversation.create(contact=contact, last_activity_at=to_db(NOW))
    close_database()


def _text(conv: m.Conversation, state: str) -> m.Message:
    return m.Message.create(
        conversation=conv, direction=m.OUT, body="hi", state=state, created_at=to_db(NOW)
    )


def _causes(conv: m.Conversation) -> tuple[list[str], bool]:
    row = m.Conversation.get_by_id(conv.id)
    return row.attention_list, row.needs_attention


def test_raise_and_clear_keep_one_order_and_the_flag(conv) -> None:
    attention.raise_cause(conv.id, m.ATTENTION_REMINDER_LATE)
    attention.raise_cause(conv.id, m.ATTENTION_FAILED, m.ATTENTION_FAILED)
    assert _causes(conv) == ([m.ATTENTION_FAILED, m.ATTENTION_REMINDER_LATE], True)
    attention.clear_cause(conv.id, m.ATTENTION_FAILED)
    assert _causes(conv) == ([m.ATTENTION_REMINDER_LATE], True)
    attention.clear_cause(conv.id, m.ATTENTION_REMINDER_LATE)
    assert _causes(conv) == ([], False)
    with pytest.raises(ValueError, match="unknown attention cause"):
        attention.raise_cause(conv.id, "whatever")


def test_send_causes_end_with_the_last_text_in_their_state(conv) -> None:
    one, two = _text(conv, m.FAILED), _text(conv, m.FAILED)
    attention.raise_cause(conv.id, m.ATTENTION_FAILED)
    one.state = m.QUEUED
    one.save()
    attention.settle_sends(conv.id)
    assert _causes(conv) == ([m.ATTENTION_FAILED], True), "one failed text is left"
    retention.delete_messages([two.id])  # deleted: its marker goes with it
    assert _causes(conv) == ([], False)


def test_settling_never_raises_a_cause_for_a_text_refused_by_choice(conv) -> None:
    _text(conv, m.FAILED)  # e.g. refused because the customer opted out: no alarm
    attention.settle_sends(conv.id)
    assert _causes(conv) == ([], False)


def test_start_up_settles_causes_that_ended_and_a_bare_flag(conv) -> None:
    other = m.Conversation.create(
        contact=m.Contact.create(number="+12025550141", created_at=to_db(NOW)),
        last_activity_at=to_db(NOW),
        needs_attention=True,  # set by a writer before the causes existed
    )
    _text(conv, m.SENT)
    attention.raise_cause(conv.id, m.ATTENTION_UNCERTAIN, m.ATTENTION_OPTOUT_TEXT)
    assert attention.settle_all() == 2
    assert _causes(conv) == ([m.ATTENTION_OPTOUT_TEXT], True)
    assert _causes(other) == ([], False)
    assert attention.settle_all() == 0


def test_the_decision_ends_asked_to_stop_and_done_ends_only_notes(conv) -> None:
    clock = FakeClock(NOW)
    attention.raise_cause(
        conv.id, m.ATTENTION_OPTOUT_TEXT, m.ATTENTION_FAILED, m.ATTENTION_REMINDER_LATE
    )
    _text(conv, m.FAILED)
    ops.set_status(conv.id, m.DONE, emit=lambda _e: None, clock=clock)
    assert _causes(conv) == ([m.ATTENTION_FAILED, m.ATTENTION_OPTOUT_TEXT], True)
    consent.set_opt_out(conv.contact, False, method="keyword", text="START", clock=clock)
    assert _causes(conv) == ([m.ATTENTION_FAILED], True)
    with pytest.raises(ValueError):
        ops.dismiss_attention(conv.id, m.ATTENTION_FAILED, emit=lambda _e: None)
