"""desk.compliance.erase: one customer erased, only the opt-out fact and an audit line remain."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.base.clock import FakeClock, to_db
from desk.compliance import erase
from desk.read import search
from desk.store import audit
from desk.store.db import close_database, open_database
from desk.store.models import (
    Appointment,
    AuditLog,
    ConsentEvent,
    Contact,
    Conversation,
    DeliveryReport,
    IncomingPart,
    Message,
    MessagePart,
    RawIncoming,
    Reminder,
    ReminderRecipient,
    ReminderRun,
)
from desk.store.settings import Settings
from modem.codec import pdu as codec

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
NUMBER = "+15557654321"
NAME = "Zelda Quintero"


@pytest.fixture
def dbpath(tmp_path) -> Path:
    path = tmp_path / "t.sqlite3"
    open_database(path)
    yield path
    close_database()


def t(minutes: int) -> datetime:
    return to_db(T0 + timedelta(minutes=minutes))


def make_customer(number: str, name: str, *, opted_out: bool) -> Contact:
    contact = Contact.create(number=number, name=name, notes=f"{name} likes blue", tags="vip",
                             created_at=t(0), opted_out=opted_out)  # fmt: skip
    conv = Conversation.create(contact=contact, last_activity_at=t(50), last_preview="Thanks")
    inc = Message.create(conversation=conv, direction="in", body=f"Hi it's {name}, card 4111",
                         state="received", created_at=t(1))  # fmt: skip
    IncomingPart.create(dedupe_key=f"{number}|1", sender=number, text=inc.body, received_at=t(1),
                        message=inc, raw_data="07911326040000F0040B91" + erase._semi_octets(number))  # fmt: skip
    out = Message.create(conversation=conv, direction="out", body="Your crown is ready",
                         state="delivered", created_at=t(2), staff="anna")  # fmt: skip
    part = MessagePart.create(message=out, seq=1, reference=42, number=number, state="delivered")
    DeliveryReport.create(reference=42, number=number, status=0, delivered=True, final=True,
                          received_at=t(3), part=part)  # fmt: skip
    DeliveryReport.create(reference=43, number=number, status=0, delivered=True, final=True,
                          received_at=t(4))  # unmatched  # fmt: skip
    RawIncoming.create(
        raw_data="0791" + erase._semi_octets(number) + "FFFF", error="bad", received_at=t(5)
    )
    ConsentEvent.create(
        contact=contact, number=number, kind="help", method="keyword", text="HELP", at=t(6)
    )
    if opted_out:
        ConsentEvent.create(contact=contact, number=number, kind="opt_out", method="keyword",
                            text="STOP please", at=t(7))  # fmt: skip
    appt = Appointment.create(contact=contact, starts_at=t(60 * 24), service="Cleaning",
                              note=f"{name} nervous", created_at=t(8), reply_message=inc)  # fmt: skip
    reminder = Reminder.create(text="See you tomorrow", appointment=appt, offset_minutes=1440,
                               next_at=t(60), created_at=t(8))  # fmt: skip
    ReminderRecipient.create(reminder=reminder, contact=contact)
    personal = Reminder.create(text=f"{name}, time for your checkup", recurrence='{"months": 6}',
                               next_at=t(90), created_at=t(9))  # fmt: skip
    ReminderRecipient.create(reminder=personal, contact=contact)
    ReminderRun.create(reminder=personal, contact=contact, due_at=t(10), state="queued",
                       message=out, created_at=t(10))  # fmt: skip
    audit.record("sent", f"message {out.id} to {number} ({name})", "anna")
    return contact


@pytest.fixture
def two_customers(dbpath):
    zelda = make_customer(NUMBER, NAME, opted_out=True)
    other = make_customer("+15550000001", "Other Person", opted_out=False)
    shared = Reminder.create(
        text="Shop closed Monday", recurrence=None, next_at=t(100), created_at=t(1)
    )
    ReminderRecipient.create(reminder=shared, contact=zelda)
    ReminderRecipient.create(reminder=shared, contact=other)
    return zelda, other, shared


def dump(path: Path) -> str:
    """Every row of every ordinary table as text (FTS shadow tables hold binary index data)."""
    con = sqlite3.connect(str(path))
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def test_erasure_leaves_only_the_opt_out_fact_and_an_audit_line(two_customers, dbpath) -> None:
    zelda, other, shared = two_customers
    clock = FakeClock(T0 + timedelta(days=3))
    conv_id = Conversation.get(Conversation.contact == zelda.id).id
    assert search.search("Zelda") and search.search("7654321")

    result = erase.erase_contact(zelda.id, staff="owner", clock=clock)
    assert result.messages == 2 and result.appointments == 1 and result.kept_opt_out
    assert result.conversation_id == conv_id

    assert Contact.get_or_none(Contact.id == zelda.id) is None
    assert Conversation.get_or_none(Conversation.id == conv_id) is None
    assert Message.select().where(Message.conversation == conv_id).count() == 0
    assert MessagePart.select().where(MessagePart.number == NUMBER).count() == 0
    assert DeliveryReport.select().where(DeliveryReport.number == NUMBER).count() == 0
    assert IncomingPart.select().where(IncomingPart.sender == NUMBER).count() == 0
    assert RawIncoming.select().count() == 1  # only the other customer's raw PDU
    assert Appointment.select().where(Appointment.contact == zelda.id).count() == 0
    assert ReminderRecipient.select().where(ReminderRecipient.contact == zelda.id).count() == 0
    assert ReminderRun.select().where(ReminderRun.contact == zelda.id).count() == 0
    # Her personal recall is gone; the shared notice stays, with the other recipient.
    texts = {r.text for r in Reminder.select()}
    assert f"{NAME}, time for your checkup" not in texts and "Shop closed Monday" in texts
    assert [
        r.contact_id
        for r in ReminderRecipient.select().where(ReminderRecipient.reminder == shared.id)
    ] == [other.id]

    # Consent: one opt-out fact, at the time she opted out, no text, no contact link.
    (fact,) = ConsentEvent.select().where(ConsentEvent.number == NUMBER)
    assert (fact.kind, fact.method, fact.text, fact.contact_id) == (
        "opt_out",
        "erasure",
        None,
        None,
    )
    assert fact.at == t(7)

    # The audit line: a hash of the number, no personal data; older lines scrubbed.
    line = AuditLog.get(AuditLog.action == "erased")
    assert line.staff == "owner" and audit.fingerprint(NUMBER) in line.detail
    assert NUMBER not in line.detail and "Zelda" not in line.detail
    assert not AuditLog.select().where(AuditLog.detail.contains("Zelda")).exists()
    assert not AuditLog.select().where(AuditLog.detail.contains(NUMBER)).exists()

    # Search finds nothing of her.
    for q in ("Zelda", "Quintero", "7654321", "+1 555 765 4321", "blue", "crown"):
        hits = search.search(q)
        assert all(h.contact_id != zelda.id for h in hits), q
    assert search.search("Zelda") == []

    # Nothing of her anywhere in the tables but the number in the one consent row.
    text = dump(dbpath)
    assert "Zelda" not in text and "Quintero" not in text
    assert text.count(NUMBER) == 1 and text.count(erase._semi_octets(NUMBER)) == 0
    # Nor in the file's bytes: freed pages zeroed (secure_delete), FTS segments rewritten, the
    # WAL checkpointed.
    raw = dbpath.read_bytes().lower()
    wal = Path(str(dbpath) + "-wal")
    raw += wal.read_bytes().lower() if wal.exists() else b""
    assert b"zelda" not in raw and b"quintero" not in raw

    # The other customer is untouched.
    assert Message.select().join(Conversation).where(Conversation.contact == other.id).count() == 2
    assert search.search("Other Person")
    assert ConsentEvent.select().where(ConsentEvent.number == "+15550000001").count() == 1


def test_erasure_without_opt_out_keeps_no_consent_at_all(dbpath) -> None:
    person = make_customer(NUMBER, NAME, opted_out=False)
    result = erase.erase_contact(person.id, clock=FakeClock(T0))
    assert not result.kept_opt_out
    assert ConsentEvent.select().count() == 0
    assert NUMBER not in dump(dbpath)
    assert "opt-out kept" not in AuditLog.get(AuditLog.action == "erased").detail


def test_opted_back_in_is_not_an_opt_out(dbpath) -> None:
    person = make_customer(NUMBER, NAME, opted_out=True)
    Contact.update(opted_out=False).where(Contact.id == person.id).execute()
    ConsentEvent.create(
        contact=person, number=NUMBER, kind="opt_in", method="keyword", text="START", at=t(20)
    )
    assert not erase.erase_contact(person.id, clock=FakeClock(T0)).kept_opt_out
    assert ConsentEvent.select().count() == 0


def test_contact_without_conversation_and_unknown_id(dbpath) -> None:
    bare = Contact.create(number=NUMBER, name=NAME, created_at=t(0))
    result = erase.erase_contact(bare.id, clock=FakeClock(T0))
    assert result.conversation_id is None and result.messages == 0
    assert Contact.select().count() == 0
    with pytest.raises(erase.EraseError, match="no contact"):
        erase.erase_contact(bare.id, clock=FakeClock(T0))


def test_a_failed_erasure_changes_nothing(dbpath, monkeypatch) -> None:
    person = make_customer(NUMBER, NAME, opted_out=True)

    def boom(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(erase, "_scrub_audit", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        erase.erase_contact(person.id, clock=FakeClock(T0))
    assert Contact.get_by_id(person.id).name == NAME
    assert Message.select().count() == 2
    assert ConsentEvent.select().count() == 2


def test_unreadable_messages_from_the_number_in_any_form_are_erased(dbpath) -> None:
    """A national-format PDU and a gateway's JSON entry do not hold the number as it is stored;
    their sender reads as it in the shop's country, so they go too. Others' stay."""
    Settings().set("default_country", "US")
    zelda = Contact.create(number=NUMBER, name=NAME, created_at=t(0))
    Conversation.create(contact=zelda, last_activity_at=t(1))
    (national,) = codec.encode_deliver("5557654321", "my card 4111 1111 1111 1111", timestamp=T0)
    (other,) = codec.encode_deliver("+15550001111", "not hers", timestamp=T0)
    rows = {
        "national": national[:-12],
        "hilink": json.dumps({"Index": "40007", "Phone": "(555) 765-4321", "Content": None}),
        "android": json.dumps({"event": "sms:received", "payload": {"phoneNumber": NUMBER}}),
        "other": other[:-12],
    }
    ids = {
        k: RawIncoming.create(raw_data=v, error="bad", received_at=t(2)).id for k, v in rows.items()
    }
    assert erase._semi_octets(NUMBER) not in rows["national"]  # the old pattern misses it

    erase.erase_contact(zelda.id, clock=FakeClock(T0 + timedelta(days=1)))
    assert [r.id for r in RawIncoming.select()] == [ids["other"]]


def _many(conv: Conversation, n: int) -> None:
    Message.insert_many(
        [
            {
                "conversation": conv.id,
                "direction": "in",
                "body": f"note {i}",
                "state": "received",
                "created_at": t(100 + i),
            }
            for i in range(n)
        ]
    ).execute()


def test_a_long_conversation_is_erased_in_short_steps(dbpath) -> None:
    zelda = make_customer(NUMBER, NAME, opted_out=False)
    conv = Conversation.get(Conversation.contact == zelda.id)
    _many(conv, 1200)
    total = Message.select().where(Message.conversation == conv.id).count()
    job = erase.EraseJob(zelda.id, staff="owner", clock=FakeClock(T0))
    job.step_seconds = 1e-6  # one batch per step
    steps = merges = 0
    while job.step():
        if job.erased:  # then the search indexes are merged, in steps of their own
            merges += 1
            continue
        steps += 1
        assert Contact.get_or_none(Contact.id == zelda.id) is not None  # the last step only
    assert steps >= 3 and merges >= 1
    assert job.result().messages == total
    assert Contact.get_or_none(Contact.id == zelda.id) is None
    assert Message.select().where(Message.conversation == conv.id).count() == 0
    line = AuditLog.get(AuditLog.action == "erased")
    assert f": {total} messages" in line.detail and NUMBER not in line.detail
    print(f"\nerasure: {job.times.count} steps, longest {1e3 * job.times.longest:.0f} ms")


def test_a_cancelled_erasure_says_so_and_a_second_one_finishes(dbpath) -> None:
    zelda = make_customer(NUMBER, NAME, opted_out=False)
    _many(Conversation.get(Conversation.contact == zelda.id), 1200)
    job = erase.EraseJob(zelda.id, clock=FakeClock(T0))
    job.step_seconds = 1e-6
    assert job.step() is True
    first = job.erased_messages
    assert first == erase.FIRST_BATCH
    job.cancel()
    with pytest.raises(erase.EraseError, match="cancelled"):
        job.run(pause_seconds=0)
    (line,) = AuditLog.select().where(AuditLog.action == "erased")
    assert f"stopped after {first} messages" in line.detail and NUMBER not in line.detail
    result = erase.erase_contact(zelda.id, clock=FakeClock(T0))
    assert result.messages > 0 and Contact.get_or_none(Contact.id == zelda.id) is None
    with pytest.raises(erase.EraseError):
        erase.EraseJob(zelda.id, clock=FakeClock(T0))


WORD = "xqzvlorp"  # a word no other term of the index starts like (FTS5 stores terms prefix-compressed)
TAIL = WORD[1:].encode()  # what a leaf page holds of it, whatever term comes before


def fts_shadow_bytes(path: Path) -> bytes:
    """Every cell of every FTS5 shadow table (index segments, doc sizes, config), raw."""
    con = sqlite3.connect(str(path))
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'message_fts_%' "
            "OR name LIKE 'contact_fts_%')"
        )]  # fmt: skip
        assert {"message_fts_data", "message_fts_idx", "contact_fts_data"} <= set(tables)
        out = bytearray()
        for table in tables:
            for row in con.execute(f"SELECT * FROM {table}"):
                for cell in row:
                    if isinstance(cell, bytes):
                        out += cell
                    elif cell is not None:
                        out += str(cell).encode()
        return bytes(out)
    finally:
        con.close()


def test_the_search_index_keeps_nothing_of_the_erased_text(dbpath) -> None:
    zelda = make_customer(NUMBER, NAME, opted_out=False)
    conv = Conversation.get(Conversation.contact == zelda.id)
    for i in range(30):  # one transaction each: many index segments, as in a real shop
        Message.create(conversation=conv, direction="in", body=f"{WORD} number {i}",
                       state="received", created_at=t(100 + i))  # fmt: skip
    Contact.update(notes=f"{WORD} notes").where(Contact.id == zelda.id).execute()
    other = make_customer("+15550000001", "Other Person", opted_out=False)
    assert search.search(WORD) and TAIL in fts_shadow_bytes(dbpath)

    job = erase.EraseJob(zelda.id, clock=FakeClock(T0))
    job.step_seconds = 1e-6  # one merge call per step: the merge is seen in steps
    while not job.erased:
        assert job.step()
    # Erased, but FTS5 still has the words in its older segments (marked deleted only):
    assert TAIL in fts_shadow_bytes(dbpath)
    merges = 0
    while job.step():
        merges += 1
    assert merges >= 2 and job.status.percent == 100
    assert job.result().messages == 32

    assert search.search(WORD) == [] and search.search("Zelda") == []
    raw = fts_shadow_bytes(dbpath)
    assert TAIL not in raw and b"elda" not in raw and b"uintero" not in raw
    for table in ("message_fts", "contact_fts"):  # the indexes are still sound
        db_check = sqlite3.connect(str(dbpath))
        db_check.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
        db_check.close()
    assert search.search("Other Person")
    assert Message.select().join(Conversation).where(Conversation.contact == other.id).count() == 2
