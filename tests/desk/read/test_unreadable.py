"""Unreadable incoming messages (RawIncoming) as the thread sees them: the sender read from the
raw data, the thread they belong to, and the words shown instead of a text.

The rows are stored by the real inbox (desk.messaging.inbox.store_incoming) into a real SQLite
file, from real PDUs (modem.codec) that were cut short, as a noisy serial line cuts them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from desk.base.clock import FakeClock
from desk.engine.incoming_rules import RULES
from desk.messaging.inbox import store_incoming
from desk.read import queries, unreadable
from desk.store.models import RawIncoming
from desk.store.settings import Settings
from modem.codec import pdu as codec
from modem.events import IncomingSms

ANNA = "+12025550101"
BOB = "+12025550177"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def broken_pdu(sender: str, text: str = "Hello, is my order ready?") -> str:
    """A real SMS-DELIVER from ``sender``, cut inside its text: the decoder refuses it."""
    (whole,) = codec.encode_deliver(sender, text, timestamp=T0)
    cut = whole[:-12]
    with pytest.raises(codec.PduError):
        codec.decode(cut)
    return cut


def unreadable_event(raw: str, token: str, storage: str | None = "SM") -> IncomingSms:
    try:
        codec.decode(raw)
    except codec.PduError as exc:
        error = str(exc)
    else:
        error = "the gateway sent a received text without sender or text"
    return IncomingSms(token=token, raw=raw, pdu=None, error=error, storage=storage)


def test_sender_of_a_cut_pdu_in_every_form_of_address() -> None:
    assert unreadable.sender_of(broken_pdu(ANNA), "US") == ANNA
    assert unreadable.sender_of(broken_pdu("2025550101"), "US") == ANNA  # national format
    assert unreadable.sender_of(broken_pdu("02079460958"), "GB") == "+442079460958"
    assert unreadable.sender_of(broken_pdu("MyBank"), "US") == "MyBank"
    assert unreadable.sender_of(broken_pdu("12345"), "US") == "12345"  # a short code as it came
    assert unreadable.sender_of(broken_pdu(ANNA).lower(), "US") == ANNA


def test_sender_of_is_none_when_the_data_does_not_say() -> None:
    (whole,) = codec.encode_deliver(ANNA, "hi", timestamp=T0)
    assert unreadable.sender_of(whole[:22], "US") is None  # cut inside the address
    assert unreadable.sender_of("", "US") is None
    assert unreadable.sender_of("ZZ\x00\x01 garbage", "US") is None
    assert unreadable.sender_of("0A1", "US") is None  # odd hex: not a PDU
    report = codec.encode_status_report(7, ANNA, 0, scts=T0, discharge=T0)
    assert unreadable.sender_of(report, "US") is None  # a status report is nobody's text
    assert unreadable.sender_of(json.dumps({"payload": {"message": "x"}}), "US") is None


def test_sender_of_gateway_json() -> None:
    hilink = json.dumps({"Index": "40001", "Phone": "2025550101", "Date": "bad"})
    assert unreadable.sender_of(hilink, "US") == ANNA
    webhook = json.dumps({"event": "sms:received", "payload": {"phoneNumber": ANNA}})
    assert unreadable.sender_of(webhook, "US") == ANNA


@pytest.fixture
def stored(database, settings: Settings, clock: FakeClock) -> dict[str, int]:
    """Two conversations, and unreadable messages stored by the inbox as they came in."""
    settings.set("default_country", "US")
    clock.set(T0)

    def receive(event: IncomingSms) -> int | None:
        clock.set(clock.now() + timedelta(minutes=5))
        result = store_incoming(event, settings=settings, clock=clock, rules=RULES)
        return result.raw_id if result.message_id is None else result.message_id

    def text(sender: str, body: str, token: str) -> IncomingSms:
        (raw,) = codec.encode_deliver(sender, body, timestamp=T0)
        return IncomingSms(token=token, raw=raw, pdu=codec.decode(raw))

    ids = {
        "anna_text": receive(text(ANNA, "Hello", "a")),
        "anna_1": receive(unreadable_event(broken_pdu(ANNA), "r1")),
        "bob_text": receive(text(BOB, "Hi", "b")),
        "bob_1": receive(unreadable_event(broken_pdu(BOB, "Bob here"), "r2")),
        "nobody": receive(unreadable_event("0791", "r3")),
        "anna_2": receive(unreadable_event(broken_pdu("2025550101", "again"), "r4")),
        "anna_json": receive(
            unreadable_event(json.dumps({"Phone": ANNA, "Content": None}), "r5", "hilink")
        ),
    }
    assert RawIncoming.select().count() == 5
    ids["anna_conv"] = queries.conversation_for_number(ANNA) or 0
    ids["bob_conv"] = queries.conversation_for_number(BOB) or 0
    assert ids["anna_conv"] and ids["bob_conv"]
    return {k: v for k, v in ids.items() if v is not None}


def test_the_thread_gets_its_customers_unreadable_messages_oldest_first(stored) -> None:
    rows = queries.unreadable_in_thread(stored["anna_conv"], country="US")
    assert [r.id for r in rows] == [stored["anna_1"], stored["anna_2"], stored["anna_json"]]
    assert {r.sender for r in rows} == {ANNA}
    assert all(r.note == "this message could not be read; the raw data is kept" for r in rows)
    assert rows[0].received_at == T0 + timedelta(minutes=10)  # when the inbox stored it
    assert rows[0].received_at.tzinfo is not None
    assert rows[0].storage == "SM" and rows[2].storage == "hilink"
    assert "truncated" in rows[0].error  # the decoder's reason, as stored
    # Placed among the thread's messages by time: after "Hello", which came first.
    page = queries.thread_page(stored["anna_conv"])
    assert [m.body for m in page.messages] == ["Hello"]
    assert page.messages[0].created_at < rows[0].received_at

    bob = queries.unreadable_in_thread(stored["bob_conv"], country="US")
    assert [r.id for r in bob] == [stored["bob_1"]]


def test_the_thread_query_is_bounded_and_keeps_the_newest(stored) -> None:
    rows = queries.unreadable_in_thread(stored["anna_conv"], country="US", limit=2)
    assert [r.id for r in rows] == [stored["anna_2"], stored["anna_json"]]
    assert queries.unreadable_in_thread(987654, country="US") == []


def test_a_national_number_read_in_the_shops_country(stored) -> None:
    """A national-format sender belongs to the thread only when read in the shop's country."""
    ids = [r.id for r in queries.unreadable_in_thread(stored["anna_conv"], country="GB")]
    assert stored["anna_2"] not in ids and stored["anna_1"] in ids


def test_the_raw_data_is_kept_as_it_came(stored) -> None:
    row = RawIncoming.get_by_id(stored["anna_1"])
    assert row.raw_data == broken_pdu(ANNA)
    everything = unreadable.all_unreadable(default_country="US")
    assert [r.id for r in everything] == sorted(
        stored[k] for k in ("anna_1", "bob_1", "nobody", "anna_2", "anna_json")
    )
    assert next(r for r in everything if r.id == stored["nobody"]).sender is None
