"""Missed calls: the line in the caller's thread, the text-back and every reason it is not sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.automations import calls
from desk.base.clock import FakeClock
from desk.read import insight
from desk.store.activity import Call
from desk.store.models import IN, OUT, AuditLog, Contact, Conversation, Message
from desk.store.settings import Settings

CALLER = "+12015550123"
NOON = datetime(2026, 1, 5, 17, 2, tzinfo=UTC)  # 12:02 in New York


@pytest.fixture
def shop(settings: Settings) -> Settings:
    settings.set("missed_call_textback", True)
    return settings


def call(settings: Settings, clock: FakeClock, number: str | None = CALLER, **kw: object):
    args: dict[str, object] = {"rings": 4, "answered": False, "declined": False, **kw}
    return calls.on_call_ended(
        number,
        started_at=clock.now(),
        ended_at=clock.now() + timedelta(seconds=20),
        settings=settings,
        clock=clock,
        **args,  # type: ignore[arg-type]
    )


def texts_back() -> list[Message]:
    return list(
        Message.select().where((Message.direction == OUT) & (Message.source == "missed_call"))
    )


def test_a_missed_call_is_an_unread_line_in_the_callers_thread_and_gets_one_text(shop):
    clock = FakeClock(NOON)
    outcome = call(shop, clock, "2015550123")  # as the network may report it: national format
    line = Message.get_by_id(outcome.message_id)
    assert (line.direction, line.body, line.read) == (IN, "Missed call 12:02", False)
    conversation = Conversation.get_by_id(outcome.conversation_id)
    assert conversation.unread == 1  # at the top of the list, unread, until staff open it
    (text,) = texts_back()
    assert text.body == "Sorry we missed your call - text us here, we answer fast. Smile Dental"
    assert text.conversation_id == outcome.conversation_id and not text.automated
    assert Call.get_by_id(outcome.call_id).textback_id == text.id
    assert AuditLog.select().where(AuditLog.detail.contains("missed-call text (call")).count() == 1


def test_at_most_one_text_back_per_caller_in_the_configured_hours(shop):
    clock = FakeClock(NOON)
    call(shop, clock)
    clock.advance(timedelta(hours=3))
    second = call(shop, clock)
    assert second.skipped == "the caller already got a missed-call text in the last 24 hours"
    assert second.message_id is not None  # still in the thread
    clock.advance(timedelta(hours=22))
    assert call(shop, clock).textback_id is not None
    assert len(texts_back()) == 2


def test_never_to_a_withheld_alphanumeric_or_opted_out_caller(shop):
    clock = FakeClock(NOON)
    withheld = call(shop, clock, None)
    assert (withheld.message_id, withheld.skipped) == (None, "the caller's number was withheld")
    assert call(shop, clock, "").skipped == "the caller's number was withheld"
    assert call(shop, clock, "12").skipped == "the caller's number was withheld"  # not a number
    assert call(shop, clock, "VODAFONE").skipped == "the caller's number cannot receive texts"
    Contact.create(number="+12015550188", opted_out=True, created_at=NOON.replace(tzinfo=None))
    assert call(shop, clock, "+12015550188").skipped == "the caller opted out of texts"
    assert texts_back() == []
    assert Call.select().count() == 5


def test_off_by_default_and_an_answered_call_is_only_counted(settings):
    clock = FakeClock(NOON)
    assert call(settings, clock).skipped == "missed-call texts are off"
    answered = call(settings, clock, answered=True)
    assert (answered.message_id, answered.skipped) == (None, None)
    assert texts_back() == []
    assert not AuditLog.select().where(AuditLog.action == "automation").exists()


def test_quiet_hours_hold_the_text_only_when_the_setting_says_so(shop):
    night = FakeClock(datetime(2026, 1, 6, 4, tzinfo=UTC))  # 23:00 in New York
    direct = Message.get_by_id(call(shop, night).textback_id)
    assert not direct.automated
    shop.set("missed_call_quiet_hours", True)
    held = Message.get_by_id(call(shop, night, "+12015550177").textback_id)
    assert held.automated  # the send queue holds automated texts in quiet hours


def test_the_report_counts_calls_not_as_texts(shop):
    clock = FakeClock(NOON)
    call(shop, clock)
    r = insight.build(NOON - timedelta(hours=1), NOON + timedelta(hours=1), shop.shop_zone())
    assert r.calls == {"missed": 1, "texted_back": 1, "replied": 0}
    assert r.questions == 0
    assert sum(p.messages_in for p in r.days) == 0
