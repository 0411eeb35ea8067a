"""Property: any interleaving and duplication of the parts of several messages (with restarts and
incomplete-message flushes in between) stores each message exactly once, with exactly its
original text, once all parts are in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from desk.base.clock import FakeClock
from desk.engine.incoming_rules import RULES
from desk.messaging.inbox import flush_incomplete, store_incoming
from desk.store.models import RECEIVED, IncomingPart, Message
from desk.store.settings import Settings
from tests.desk.conftest import sms_events
from tests.helpers.databases import fresh_database, reopen

SENDERS = ["+12015550123", "+14155552671", "+442079460958", "MyBank"]
ALPHABET = st.sampled_from([*"abcdefghij klmnop.,!?0123456789ÄéüΩ€[]{}^", "😀", "你"])


@st.composite
def scenarios(draw):
    count = draw(st.integers(1, 4))
    messages = []
    used: set[tuple[str, int]] = set()
    base = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    for i in range(count):
        sender = draw(st.sampled_from(SENDERS))
        ref = draw(st.integers(0, 3))  # few references: reuse across senders and time
        if (sender, ref) in used:
            when = base + timedelta(days=i + 1)  # the same reference reused days later
        else:
            when = base + timedelta(seconds=i)
        used.add((sender, ref))
        size = draw(st.sampled_from([5, 150, 200, 400]))
        text = draw(st.text(ALPHABET, min_size=size, max_size=size + 30))
        if not text.strip():
            text = "x" + text
        messages.append((sender, text, ref, when))
    parts = []
    for index, (sender, text, ref, when) in enumerate(messages):
        for event in sms_events(sender, text, concat_ref=ref, timestamp=when):
            parts.append((index, event))
    order = draw(st.permutations(range(len(parts))))
    extra = draw(st.lists(st.integers(0, len(parts) - 1), max_size=len(parts)))
    positions = list(order)
    for item in extra:  # duplicates anywhere after
        at = draw(st.integers(0, len(positions)))
        positions.insert(at, item)
    restarts = draw(st.sets(st.integers(0, len(positions)), max_size=3))
    flushes = draw(st.sets(st.integers(0, len(positions)), max_size=3))
    return messages, parts, positions, restarts, flushes


@hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_any_interleaving_stores_each_message_once_with_its_text(scenario):
    messages, parts, positions, restarts, flushes = scenario
    with fresh_database() as path:
        clock = FakeClock(datetime(2026, 2, 1, 9, 0, tzinfo=UTC))
        config = Settings()
        for step, position in enumerate(positions):
            if step in restarts:
                reopen(path)
            if step in flushes:  # parts waited too long: shown as incomplete for a while
                clock.advance(timedelta(minutes=11))
                flush_incomplete(clock=clock, rules=RULES, timeout=timedelta(minutes=10))
            store_incoming(parts[position][1], settings=config, clock=clock, rules=RULES)
            clock.advance(1)
        # nothing is left waiting: a flush long after changes nothing
        clock.advance(timedelta(days=1))
        assert flush_incomplete(clock=clock, rules=RULES, timeout=600) == []
        stored = sorted(
            (m.conversation.contact.number, m.body)
            for m in Message.select().where(Message.state == RECEIVED)
        )
        assert stored == sorted((sender, text) for sender, text, _, _ in messages)
        assert Message.select().count() == len(messages)
        assert IncomingPart.select().count() == len(parts)
        assert IncomingPart.select().where(IncomingPart.message.is_null()).count() == 0
