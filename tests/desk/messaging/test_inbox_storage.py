"""Inbox storage: exactly-once storage, multipart reassembly, incomplete messages, odd senders,
bad PDUs, the dedupe key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk.base.clock import to_db
from desk.engine.incoming_rules import RULES
from desk.messaging import inbox
from desk.messaging.inbox import flush_incomplete, store_incoming
from desk.store.models import (
    DONE,
    INCOMPLETE,
    RECEIVED,
    Contact,
    Conversation,
    IncomingPart,
    Message,
    RawIncoming,
)
from modem.codec import pdu as codec
from modem.codec.addresses import encode_sender, encode_smsc, encode_timestamp
from modem.events import IncomingSms
from tests.desk.conftest import sms_event, sms_events
from tests.helpers.databases import reopen
from tests.helpers.engines import second_connection

ANNA = "+12015550123"
LONG = (
    "Hello, this is Anna. My crown came loose this morning while eating breakfast and I would "
    "like to come in today if at all possible. I can be there any time after two o'clock. Also "
    "could you tell me whether the insurance covers it? Thanks a lot, see you soon!"
)


def test_single_sms_is_stored_with_a_new_contact_and_conversation(database, settings, clock):
    result = store_incoming(
        sms_event(ANNA, "Hi, are you open today?"), settings=settings, clock=clock, rules=RULES
    )
    assert result.complete and not result.duplicate and result.message_id is not None
    message = Message.get_by_id(result.message_id)
    assert message.body == "Hi, are you open today?"
    assert message.state == RECEIVED and message.direction == "in" and not message.read
    assert message.sender_time == datetime(2026, 1, 5, 14, 59, 30)
    contact = Contact.get(Contact.number == ANNA)
    conversation = Conversation.get(Conversation.contact == contact)
    assert result.conversation_id == conversation.id
    assert conversation.unread == 1
    assert conversation.last_preview == "Hi, are you open today?"
    assert conversation.last_direction == "in"
    assert conversation.last_activity_at == to_db(clock.now())


def test_the_part_is_committed_before_store_incoming_returns(database, settings, clock, tmp_path):
    store_incoming(sms_event(ANNA, "committed?"), settings=settings, clock=clock, rules=RULES)
    other = second_connection(tmp_path / "textdesk.sqlite3")
    try:
        rows = other.execute("SELECT body FROM message").fetchall()
    finally:
        other.close()
    assert rows == [("committed?",)]


def test_same_sms_read_twice_is_stored_once(database, settings, clock):
    event = sms_event(ANNA, "See you at 3")
    first = store_incoming(event, settings=settings, clock=clock, rules=RULES)
    clock.advance(60)
    # The sweep after a crash reads it again: a new token, the same PDU.
    again = IncomingSms(token="sweep-1", raw=event.raw, pdu=codec.decode(event.raw), storage="SM")
    second = store_incoming(again, settings=settings, clock=clock, rules=RULES)
    assert second.duplicate and second.message_id == first.message_id and second.complete
    assert Message.select().count() == 1
    assert IncomingPart.select().count() == 1
    assert Conversation.get().unread == 1


def test_same_text_at_another_time_is_a_new_message(database, settings, clock):
    store_incoming(sms_event(ANNA, "ok"), settings=settings, clock=clock, rules=RULES)
    later = datetime(2026, 1, 5, 15, 10, tzinfo=UTC)
    result = store_incoming(
        sms_event(ANNA, "ok", timestamp=later), settings=settings, clock=clock, rules=RULES
    )
    assert not result.duplicate
    assert Message.select().count() == 2
    assert Conversation.get().unread == 2


def test_national_number_is_stored_in_e164_with_the_default_country(database, settings, clock):
    store_incoming(sms_event("2015550123", "national"), settings=settings, clock=clock, rules=RULES)
    store_incoming(sms_event(ANNA, "international"), settings=settings, clock=clock, rules=RULES)
    assert [c.number for c in Contact.select()] == [ANNA]
    assert Conversation.get().unread == 2


def test_national_number_follows_the_shop_country(database, settings, clock):
    settings.set("default_country", "GB")
    store_incoming(
        sms_event("02079460958", "from London"), settings=settings, clock=clock, rules=RULES
    )
    assert Contact.get().number == "+442079460958"


def test_alphanumeric_sender_and_short_code_are_kept_as_they_are(database, settings, clock):
    store_incoming(
        sms_event("MyBank", "Your code is 1234"), settings=settings, clock=clock, rules=RULES
    )
    store_incoming(
        sms_event("12345", "Balance: 10 EUR"), settings=settings, clock=clock, rules=RULES
    )
    assert sorted(c.number for c in Contact.select()) == ["12345", "MyBank"]


def test_unicode_text_is_stored_exactly(database, settings, clock):
    text = "Danke schön 😀 — ok? ¿Sí? 你好"
    result = store_incoming(sms_event(ANNA, text), settings=settings, clock=clock, rules=RULES)
    assert Message.get_by_id(result.message_id).body == text


def _eight_bit_pdu(sender: str, data: bytes, when: datetime) -> str:
    tpdu = bytes([0x04]) + encode_sender(sender) + bytes([0x00, 0x04]) + encode_timestamp(when)
    tpdu += bytes([len(data)]) + data
    return (encode_smsc("+15550000000") + tpdu).hex().upper()


def test_eight_bit_data_gets_a_readable_placeholder(database, settings, clock):
    raw = _eight_bit_pdu(ANNA, bytes(range(12)), datetime(2026, 1, 5, 14, 0, tzinfo=UTC))
    pdu = codec.decode(raw)
    assert pdu.text is None and pdu.encoding == "8bit"
    result = store_incoming(
        IncomingSms(token="x", raw=raw, pdu=pdu), settings=settings, clock=clock, rules=RULES
    )
    message = Message.get_by_id(result.message_id)
    assert message.body == "[data message of 12 bytes, not text: it cannot be shown]"
    assert message.encoding == "8bit"
    assert IncomingPart.get().raw_data == raw  # the bytes themselves are kept
    again = store_incoming(
        IncomingSms(token="y", raw=raw, pdu=pdu), settings=settings, clock=clock, rules=RULES
    )
    assert again.duplicate


def test_undecodable_pdu_is_kept_raw_with_a_problem_and_nothing_else_lost(
    database, settings, clock
):
    garbage = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"[:-30]
    try:
        codec.decode(garbage)
    except codec.PduError as exc:
        error = str(exc)
    else:  # pragma: no cover - the fixture must be broken
        raise AssertionError("expected a malformed PDU")
    bad = IncomingSms(token="bad", raw=garbage, pdu=None, error=error, storage="SM", index=3)
    result = store_incoming(bad, settings=settings, clock=clock, rules=RULES)
    assert result.message_id is None and not result.duplicate
    assert result.problem and "could not be read" in result.problem and error in result.problem
    row = RawIncoming.get_by_id(result.raw_id)
    assert row.raw_data == garbage and row.error == error and row.storage == "SM"
    # read again by a sweep: kept once
    assert store_incoming(bad, settings=settings, clock=clock, rules=RULES).duplicate
    assert RawIncoming.select().count() == 1
    # and the next good message is stored as usual
    good = store_incoming(
        sms_event(ANNA, "still here"), settings=settings, clock=clock, rules=RULES
    )
    assert Message.get_by_id(good.message_id).body == "still here"


def test_a_status_report_where_a_text_was_expected_is_kept_raw(database, settings, clock):
    when = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    raw = codec.encode_status_report(7, ANNA, 0, scts=when, discharge=when)
    event = IncomingSms(token="s", raw=raw, pdu=codec.decode(raw))
    result = store_incoming(event, settings=settings, clock=clock, rules=RULES)
    assert result.problem and RawIncoming.select().count() == 1
    assert Message.select().count() == 0


def test_multipart_in_order(database, settings, clock):
    events = sms_events(ANNA, LONG, concat_ref=42)
    assert len(events) == 2
    first = store_incoming(events[0], settings=settings, clock=clock, rules=RULES)
    assert not first.complete and first.message_id is None
    assert Message.select().count() == 0
    second = store_incoming(events[1], settings=settings, clock=clock, rules=RULES)
    assert second.complete
    message = Message.get_by_id(second.message_id)
    assert message.body == LONG and message.parts == 2 and message.state == RECEIVED
    assert Conversation.get().unread == 1


def test_multipart_out_of_order_with_duplicates(database, settings, clock):
    text = LONG * 2
    events = sms_events(ANNA, text, concat_ref=200)
    assert len(events) == 4
    order = [events[3], events[1], events[3], events[0], events[1], events[2], events[0]]
    results = [store_incoming(e, settings=settings, clock=clock, rules=RULES) for e in order]
    assert [r.duplicate for r in results] == [False, False, True, False, True, False, True]
    assert Message.select().count() == 1
    assert Message.get().body == text
    assert results[-1].message_id == Message.get().id and results[-1].complete


def test_restart_between_parts_loses_nothing(tmp_path, settings, clock):
    path = tmp_path / "textdesk.sqlite3"
    events = sms_events(ANNA, LONG, concat_ref=9)
    store_incoming(events[0], settings=settings, clock=clock, rules=RULES)
    reopen(path)  # the app restarted; the first part is only in the database now
    result = store_incoming(events[1], settings=settings, clock=clock, rules=RULES)
    assert result.complete and Message.get_by_id(result.message_id).body == LONG


def test_two_senders_with_the_same_reference_stay_apart(database, settings, clock):
    a = sms_events(ANNA, LONG, concat_ref=5)
    b = sms_events("+14155552671", LONG.upper(), concat_ref=5)
    for event in (a[0], b[0], b[1], a[1]):
        store_incoming(event, settings=settings, clock=clock, rules=RULES)
    bodies = {m.conversation.contact.number: m.body for m in Message.select()}
    assert bodies == {ANNA: LONG, "+14155552671": LONG.upper()}


def test_reused_reference_days_later_is_a_new_message(database, settings, clock):
    old = sms_events(ANNA, LONG, concat_ref=77)
    for event in old:
        store_incoming(event, settings=settings, clock=clock, rules=RULES)
    later = datetime(2026, 1, 9, 10, 0, tzinfo=UTC)
    new_text = LONG.replace("Anna", "Anne")
    new = sms_events(ANNA, new_text, concat_ref=77, timestamp=later)
    clock.set(later + timedelta(minutes=1))
    results = [store_incoming(e, settings=settings, clock=clock, rules=RULES) for e in new]
    assert not results[0].complete and results[1].complete
    assert [m.body for m in Message.select().order_by(Message.id)] == [LONG, new_text]


def test_missing_part_becomes_incomplete_message_then_completes(database, settings, clock):
    text = LONG * 2
    events = sms_events(ANNA, text, concat_ref=31)
    assert len(events) == 4
    for event in (events[0], events[2], events[3]):
        store_incoming(event, settings=settings, clock=clock, rules=RULES)
    clock.advance(timedelta(minutes=5))
    assert flush_incomplete(clock=clock, rules=RULES, timeout=timedelta(minutes=10)) == []
    assert Message.select().count() == 0
    clock.advance(timedelta(minutes=6))
    created = flush_incomplete(clock=clock, rules=RULES, timeout=timedelta(minutes=10))
    assert len(created) == 1
    message = Message.get_by_id(created[0])
    assert message.state == INCOMPLETE
    assert "[…part 2 of 4 missing…]" in message.body
    assert message.body.startswith(events[0].pdu.text)
    assert message.body.endswith(events[2].pdu.text + events[3].pdu.text)
    conversation = Conversation.get()
    assert conversation.unread == 1
    assert flush_incomplete(clock=clock, rules=RULES, timeout=600) == []  # flushed once only
    # staff read it; then the missing part arrives at last
    Message.update(read=True).execute()
    Conversation.update(unread=0).execute()
    clock.advance(timedelta(hours=1))
    result = store_incoming(events[1], settings=settings, clock=clock, rules=RULES)
    assert result.complete and result.message_id == message.id
    message = Message.get_by_id(message.id)
    assert message.state == RECEIVED and message.body == text and not message.read
    assert Message.select().count() == 1
    assert Conversation.get().unread == 1
    # and a late duplicate of any part changes nothing
    assert store_incoming(events[2], settings=settings, clock=clock, rules=RULES).duplicate
    assert Message.select().count() == 1


def test_part_arriving_for_an_incomplete_message_fills_its_gap(database, settings, clock):
    text = LONG * 2
    events = sms_events(ANNA, text, concat_ref=32)
    store_incoming(events[0], settings=settings, clock=clock, rules=RULES)
    clock.advance(timedelta(minutes=11))
    (mid,) = flush_incomplete(clock=clock, rules=RULES, timeout=timedelta(minutes=10))
    assert Message.get_by_id(mid).body.count("missing…]") == 3
    result = store_incoming(events[3], settings=settings, clock=clock, rules=RULES)
    assert result.message_id == mid and not result.complete
    body = Message.get_by_id(mid).body
    assert body.count("missing…]") == 2 and body.endswith(events[3].pdu.text)
    assert Conversation.get().unread == 1  # still the one unread message


def test_new_incoming_reopens_a_done_conversation(database, settings, clock):
    store_incoming(sms_event(ANNA, "first"), settings=settings, clock=clock, rules=RULES)
    Conversation.update(status=DONE, unread=0).execute()
    clock.advance(3600)
    store_incoming(
        sms_event(ANNA, "one more thing", timestamp=clock.now()),
        settings=settings,
        clock=clock,
        rules=RULES,
    )
    conversation = Conversation.get()
    assert conversation.status == "open" and conversation.unread == 1
    assert conversation.last_preview == "one more thing"


def test_dedupe_key_parts():
    when = datetime(2026, 1, 5, 14, 59, 30, tzinfo=UTC)
    a = inbox.dedupe_key(ANNA, when, (1, 2, 1), "x")
    assert a.startswith(f"{ANNA}|20260105T145930|1/2/1|")
    assert a != inbox.dedupe_key(ANNA, when, (1, 2, 2), "x")
    assert a != inbox.dedupe_key(ANNA, when, (1, 2, 1), "y")
    assert inbox.dedupe_key(ANNA, None, None, "x").startswith(f"{ANNA}|-|-|")
