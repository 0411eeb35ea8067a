"""A card number split between the parts of a long SMS is never written in clear (issue 13 item
11): not while part 1 waits for part 2, not in an incomplete message, not after a restart between
the parts. The raw SQLite file is read (every table, the full-text index's own tables included)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from desk.compliance import privacy
from desk.engine.incoming_rules import RULES
from desk.messaging import split_digits
from desk.messaging.inbox import flush_incomplete, gap_marker, store_incoming
from desk.store.models import INCOMPLETE, RECEIVED, IncomingPart, Message
from modem.codec import gsm7
from tests.desk.messaging.test_inbox_split import events, split_deliver

CARD = "4539148803436467"  # Luhn-valid Visa
GROUPED = "4539 1488 0343 6467"
# (part 1, part 2): part 1 ends with the card's first ten digits
CASES = {
    "plain": ("Hi, my card is " + CARD[:10], CARD[10:] + " exp 12/28, thanks"),
    "grouped": ("Hi, my card is " + GROUPED[:12], GROUPED[12:] + " exp 12/28, thanks"),
}


def _values(path: Path) -> list[bytes]:
    """Every value of every table in the database file, as bytes (another connection)."""
    con = sqlite3.connect(path)
    try:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = []
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, str):
                        out.append(value.encode("utf-8"))
                    elif isinstance(value, bytes):
                        out.append(value)
        assert "message_fts_data" in tables  # the search index is among them
        return out
    finally:
        con.close()


def _clear_digits(path: Path, kept: str = "") -> list[str]:
    """Runs of the card's digits found in clear: any five in a row (masking keeps four), or one
    of its groups of four other than ``kept`` (the search index stores "4539 1488" as tokens)."""
    found = []
    groups = {CARD[i : i + 4] for i in range(0, 16, 4)} - {kept}
    fives = {CARD[i : i + 5] for i in range(len(CARD) - 4)}
    files = [path.read_bytes()] + [
        p.read_bytes() for p in (path.with_name(path.name + "-wal"),) if p.exists()
    ]  # the file's bytes as well: free pages and old WAL frames included
    for value in _values(path) + files:
        squeezed = value.replace(b" ", b"").replace(b"-", b"")
        found += [f for f in fives if f.encode() in squeezed]
        found += [g for g in groups if g.encode() in value]
    return found


def _parts(case: str) -> list:
    one, two = CASES[case]
    return events(split_deliver([gsm7.encode(one), gsm7.encode(two)], encoding="gsm7"))


@pytest.fixture
def db_path(database) -> Path:
    return Path(database.database)


@pytest.mark.parametrize("case", sorted(CASES))
def test_part_one_waits_without_the_digits_and_the_whole_is_masked_like_one_sms(
    database, db_path, settings, clock, case
):
    first, second = _parts(case)
    assert first.pdu.text == CASES[case][0]  # the PDUs really carry the split number
    result = store_incoming(first, settings=settings, clock=clock, rules=RULES)
    assert not result.complete
    assert _clear_digits(db_path) == []
    (waiting,) = IncomingPart.select()
    assert waiting.text.startswith("Hi, my card is ••••") and waiting.raw_data == ""

    result = store_incoming(second, settings=settings, clock=clock, rules=RULES)
    assert result.complete
    message = Message.get_by_id(result.message_id)
    whole = CASES[case][0] + CASES[case][1]
    assert message.state == RECEIVED and message.masked and "sensitive" in message.flag_list
    assert message.body == privacy.mask(whole)  # as a single SMS would be
    assert message.body.count("6467") == 1
    assert _clear_digits(db_path, kept="6467") == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_incomplete_message_keeps_the_digits_at_its_gap_hidden(
    database, db_path, settings, clock, case
):
    first, second = _parts(case)
    store_incoming(first, settings=settings, clock=clock, rules=RULES)
    clock.advance(timedelta(minutes=11))
    (mid,) = flush_incomplete(clock=clock, rules=RULES)
    message = Message.get_by_id(mid)
    assert message.state == INCOMPLETE and message.masked
    assert message.body.startswith("Hi, my card is ••••")
    assert message.body.endswith(gap_marker(2, 2))
    assert _clear_digits(db_path) == []
    result = store_incoming(second, settings=settings, clock=clock, rules=RULES)
    assert result.message_id == mid and result.complete
    assert Message.get_by_id(mid).body == privacy.mask(CASES[case][0] + CASES[case][1])
    assert _clear_digits(db_path, kept="6467") == []


def test_after_a_restart_between_the_parts_the_digits_stay_hidden(
    database, db_path, settings, clock
):
    first, second = _parts("plain")
    store_incoming(first, settings=settings, clock=clock, rules=RULES)
    split_digits._clear.clear()  # what a restart does: the clear text was in memory only
    result = store_incoming(second, settings=settings, clock=clock, rules=RULES)
    message = Message.get_by_id(result.message_id)
    assert result.complete and message.masked
    assert message.body == "Hi, my card is " + "•" * 16 + " exp 12/28, thanks"
    assert _clear_digits(db_path) == []


def test_a_number_split_that_is_no_card_comes_back_whole(database, settings, clock):
    one, two = "Call me back on 555 01", "23 after six"
    parts = events(split_deliver([gsm7.encode(one), gsm7.encode(two)], encoding="gsm7"))
    for event in parts:
        result = store_incoming(event, settings=settings, clock=clock, rules=RULES)
    message = Message.get_by_id(result.message_id)
    assert (message.body, message.masked) == (one + two, False)
    assert [p.text for p in IncomingPart.select().order_by(IncomingPart.seq)] == [
        "Call me back on ••• ••",
        "•• after six",
    ]


def test_with_masking_off_the_parts_are_kept_as_received(database, db_path, settings, clock):
    settings.set("mask_sensitive", False)
    first, second = _parts("plain")
    store_incoming(first, settings=settings, clock=clock, rules=RULES)
    assert IncomingPart.get().text == CASES["plain"][0]
    assert _clear_digits(db_path)  # what the other tests look for is seen when it is there
    result = store_incoming(second, settings=settings, clock=clock, rules=RULES)
    assert CARD in Message.get_by_id(result.message_id).body


def test_a_part_read_twice_is_stored_once(database, settings, clock):
    first, _ = _parts("plain")
    store_incoming(first, settings=settings, clock=clock, rules=RULES)
    again = store_incoming(first, settings=settings, clock=clock, rules=RULES)
    assert again.duplicate and IncomingPart.select().count() == 1
    assert CARD[:10] not in IncomingPart.get().dedupe_key


def test_the_join_bullet_is_the_privacy_mask_bullet():
    assert split_digits.BULLET == privacy.BULLET
    assert split_digits.hide_joins("pay 4111 11", leading=False, trailing=True) == "pay •••• ••"
    assert split_digits.hide_joins("-11 ok 12", leading=True, trailing=False) == "-•• ok 12"
    assert split_digits.hide_joins("12 34", leading=True, trailing=True) == "•• ••"
