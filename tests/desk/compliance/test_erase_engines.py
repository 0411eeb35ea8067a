"""desk.compliance.erase on both engines (issue 15): the same customer erased from a real SQLite
file and from a real PostgreSQL database, checked with raw SQL over every table (on PostgreSQL
the search table's tsvectors too), search finding nothing, another customer untouched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import peewee as pw
import pytest

from desk.base.clock import FakeClock
from desk.compliance import erase
from desk.read import search
from desk.store import audit, fencing
from desk.store.activity import Call
from desk.store.models import AuditLog, ConsentEvent, Contact, Conversation, Message, Note
from tests.desk.compliance.test_erase import NAME, NUMBER, T0, make_customer, t
from tests.helpers.engines import ENGINES, open_engine


@pytest.fixture(params=ENGINES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pw.Database]:
    """Here only (the folder's other tests read a SQLite file's bytes through tests/desk's own
    ``database``): a real SQLite file, then a fresh migrated database on the real PostgreSQL
    server (tests/helpers/engines.py)."""
    yield from open_engine(request, tmp_path)


WORD = "xqzvlorp"  # in her messages and notes only
OTHER = "+15550000001"


def all_rows(database: pw.Database) -> dict[str, list[str]]:
    """Every row of every table as lowercase text, by table: on SQLite the ordinary tables (the
    FTS5 shadow tables hold binary segments, checked in test_erase.py), on PostgreSQL every table
    of the schema, message_search and contact_search (their tsvectors as text) included."""
    if fencing.is_server():
        names = [r[0] for r in database.execute_sql(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        ).fetchall()]  # fmt: skip
        assert {"message_search", "contact_search", "note", "call"} <= set(names)
        query = 'SELECT t::text FROM "{}" t'
    else:
        names = [r[0] for r in database.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' "
            "AND name NOT LIKE 'sqlite_%'"
        ).fetchall()]  # fmt: skip
        assert {"note", "call"} <= set(names)
        query = 'SELECT * FROM "{}"'
    return {
        name: [
            " ".join(str(c) for c in row).lower()
            for row in database.execute_sql(query.format(name)).fetchall()
        ]
        for name in names
    }


def holding(rows: dict[str, list[str]], needle: str) -> list[tuple[str, str]]:
    return [(table, row) for table, found in rows.items() for row in found if needle in row]


def test_erasure_on_either_engine_leaves_nothing_of_her(database: pw.Database) -> None:
    zelda = make_customer(NUMBER, NAME, opted_out=True)
    other = make_customer(OTHER, "Other Person", opted_out=False)
    conv = Conversation.get(Conversation.contact == zelda.id)
    for i in range(3):
        Message.create(conversation=conv, direction="in", body=f"{WORD} question {i}",
                       state="received", created_at=t(100 + i))  # fmt: skip
    Note.create(conversation=conv, body=f"{NAME} said {WORD} twice", staff="anna",
                created_at=t(110))  # fmt: skip
    Call.create(number=NUMBER, contact=zelda, started_at=t(120), rings=3)
    Call.create(number=NUMBER, contact=None, started_at=t(121), rings=1)  # not linked to her
    Call.create(number=OTHER, contact=other, started_at=t(122), rings=2)
    other_conv = Conversation.get(Conversation.contact == other.id)
    Note.create(conversation=other_conv, body="pays cash", created_at=t(111))
    before = all_rows(database)
    assert holding(before, WORD) and holding(before, "zelda")
    if fencing.is_server():  # the tsvectors hold her words before the erasure
        assert holding({"s": before["message_search"]}, WORD)
        assert holding({"s": before["contact_search"]}, "zelda")
    assert search.search(WORD) and search.search("Zelda")

    result = erase.erase_contact(zelda.id, staff="owner", clock=FakeClock(T0 + timedelta(days=3)))
    assert result.messages == 5 and result.appointments == 1 and result.kept_opt_out

    rows = all_rows(database)
    for needle in ("zelda", "quintero", WORD, erase._semi_octets(NUMBER).lower()):
        assert holding(rows, needle) == [], needle
    # The number: only in the one opt-out fact kept so she is never texted again.
    assert [table for table, _ in holding(rows, NUMBER)] == ["consent_event"]
    (fact,) = ConsentEvent.select().where(ConsentEvent.number == NUMBER)
    assert (fact.kind, fact.method, fact.text, fact.contact_id) == (
        "opt_out",
        "erasure",
        None,
        None,
    )
    (line,) = AuditLog.select().where(AuditLog.action == "erased")
    assert (
        line.detail
        == f"customer {audit.fingerprint(NUMBER)}: 5 messages, 1 appointments, opt-out kept"
    )
    assert line.staff == "owner"

    for q in (WORD, "Zelda", "Quintero", "7654321", "blue"):
        assert all(h.contact_id != zelda.id for h in search.search(q)), q
    assert search.search(WORD) == [] and search.search("Zelda") == []

    # The other customer is untouched.
    assert Contact.get_by_id(other.id).name == "Other Person"
    assert Message.select().where(Message.conversation == other_conv.id).count() == 2
    assert [n.body for n in Note.select().where(Note.conversation == other_conv.id)] == [
        "pays cash"
    ]
    assert search.search("Other Person") and search.search("Quintero") == []
    assert ConsentEvent.select().where(ConsentEvent.number == OTHER).count() == 1
    assert [c.number for c in Call.select()] == [OTHER]
    assert holding(rows, OTHER) == holding(before, OTHER)  # every row of his as it was


def test_a_long_conversation_in_short_steps_on_either_engine(database: pw.Database) -> None:
    zelda = make_customer(NUMBER, NAME, opted_out=False)
    conv = Conversation.get(Conversation.contact == zelda.id)
    Message.insert_many(
        [{"conversation": conv.id, "direction": "in", "body": f"{WORD} {i}", "state": "received",
          "created_at": t(200 + i)} for i in range(300)]
    ).execute()  # fmt: skip
    job = erase.EraseJob(zelda.id, staff="owner", clock=FakeClock(T0))
    job.step_seconds = 1e-6  # one batch per step
    steps = 0
    while job.step():
        steps += 1
    assert steps >= 3 and job.status.percent == 100
    assert job.result().messages == 302
    assert Message.select().where(Message.conversation == conv.id).count() == 0
    assert search.search(WORD) == []
    assert holding(all_rows(database), WORD) == []
    print(f"\nerasure: {job.times.count} steps, longest {1e3 * job.times.longest:.0f} ms")
