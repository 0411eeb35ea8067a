"""Multipart reassembly from the raw PDUs: an emoji (surrogate pair) or a GSM-7 escape (€) that
the sending phone split between two parts is stored whole, not as U+FFFD / a space."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.engine.incoming_rules import RULES
from desk.messaging.inbox import flush_incomplete, gap_marker, store_incoming
from desk.store.models import INCOMPLETE, RECEIVED, IncomingPart, Message
from modem.codec import gsm7
from modem.codec import pdu as codec
from modem.codec.addresses import encode_sender, encode_smsc, encode_timestamp
from modem.events import IncomingSms

ANNA = "+12015550123"
WHEN = datetime(2026, 1, 5, 14, 59, 30, tzinfo=UTC)


def split_deliver(
    bodies: list[bytes], *, encoding: str, ref: int = 0x33, sender: str = ANNA
) -> list[str]:
    """SMS-DELIVER PDUs (hex, SMSC prefix) carrying ``bodies`` as the parts of one message, cut
    wherever the caller cut them: UTF-16BE octets for "ucs2", unpacked septets for "gsm7"."""
    out = []
    total = len(bodies)
    for seq, body in enumerate(bodies, 1):
        header = bytes([5, 0x00, 0x03, ref, total, seq])  # UDHL + 8-bit concat element
        if encoding == "gsm7":
            header_septets = (len(header) * 8 + 6) // 7
            fill = header_septets * 7 - len(header) * 8
            udl, ud = header_septets + len(body), header + gsm7.pack(body, fill)
            dcs = 0x00
        else:
            udl, ud = len(header) + len(body), header + body
            dcs = 0x08
        tpdu = bytes([0x44]) + encode_sender(sender) + bytes([0x00, dcs])
        tpdu += encode_timestamp(WHEN) + bytes([udl]) + ud
        out.append((encode_smsc("+15550000000") + tpdu).hex().upper())
    return out


def events(hex_pdus: list[str], *, keep_raw: bool = True) -> list[IncomingSms]:
    return [
        IncomingSms(token=f"s{i}", raw=h if keep_raw else "", pdu=codec.decode(h))
        for i, h in enumerate(hex_pdus)
    ]


EMOJI_TEXT = "See you at 3 😀 thanks"
EMOJI_UTF16 = EMOJI_TEXT.encode("utf-16-be")
EMOJI_CUT = EMOJI_UTF16.index("😀".encode("utf-16-be")) + 2  # between the two surrogates
EURO_SEPTETS = gsm7.encode("It costs 5€ only")
EURO_CUT = EURO_SEPTETS.index(0x1B) + 1  # right after the escape


def emoji_parts() -> list[str]:
    return split_deliver([EMOJI_UTF16[:EMOJI_CUT], EMOJI_UTF16[EMOJI_CUT:]], encoding="ucs2")


def euro_parts() -> list[str]:
    return split_deliver([EURO_SEPTETS[:EURO_CUT], EURO_SEPTETS[EURO_CUT:]], encoding="gsm7")


def test_the_crafted_parts_really_split_the_character():
    emoji = [codec.decode(h) for h in emoji_parts()]
    assert emoji[0].text.endswith("\ufffd") and emoji[1].text.startswith("\ufffd")
    euro = [codec.decode(h) for h in euro_parts()]
    assert euro[0].text == "It costs 5 " and euro[1].text == "e only"


@pytest.mark.parametrize(
    ("make", "text"), [(emoji_parts, EMOJI_TEXT), (euro_parts, "It costs 5€ only")]
)
@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_split_character_is_stored_whole(database, settings, clock, make, text, order):
    parts = events(make())
    results = [store_incoming(parts[i], settings=settings, clock=clock, rules=RULES) for i in order]
    assert results[-1].complete
    message = Message.get_by_id(results[-1].message_id)
    assert (message.body, message.state) == (text, RECEIVED)
    assert message.conversation.last_preview == text


def test_without_raw_pdus_the_stored_texts_are_joined(database, settings, clock):
    parts = events(emoji_parts(), keep_raw=False)
    for event in parts:
        result = store_incoming(event, settings=settings, clock=clock, rules=RULES)
    body = Message.get_by_id(result.message_id).body
    assert body == "".join(e.pdu.text for e in parts)  # the old way: U+FFFD where it was cut
    assert "\ufffd" in body


def test_a_raw_pdu_that_no_longer_decodes_falls_back_to_the_texts(database, settings, clock):
    first, second = events(emoji_parts())
    store_incoming(first, settings=settings, clock=clock, rules=RULES)
    IncomingPart.update(raw_data="ZZ").execute()  # damaged in storage
    result = store_incoming(second, settings=settings, clock=clock, rules=RULES)
    body = Message.get_by_id(result.message_id).body
    assert body == first.pdu.text + second.pdu.text


def test_incomplete_message_joins_the_runs_it_has_around_the_gap(database, settings, clock):
    utf16 = "Hi 😀 and 😀 bye".encode("utf-16-be")
    a = utf16.index("😀".encode("utf-16-be")) + 2
    b = utf16.rindex("😀".encode("utf-16-be")) + 2
    parts = events(split_deliver([utf16[:a], utf16[a:b], utf16[b:]], encoding="ucs2"))
    store_incoming(parts[0], settings=settings, clock=clock, rules=RULES)
    store_incoming(parts[1], settings=settings, clock=clock, rules=RULES)
    clock.advance(timedelta(minutes=11))
    (mid,) = flush_incomplete(clock=clock, rules=RULES)
    message = Message.get_by_id(mid)
    assert message.state == INCOMPLETE
    # parts 1-2 mend the first emoji; the second one's other half is in the missing part 3
    assert message.body == "Hi 😀 and \ufffd" + gap_marker(3, 3)
    result = store_incoming(parts[2], settings=settings, clock=clock, rules=RULES)
    assert result.message_id == mid and result.complete
    assert Message.get_by_id(mid).body == "Hi 😀 and 😀 bye"
