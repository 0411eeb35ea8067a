"""desk.read.queries against a real SQLite file filled with the demo shop and generated history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from desk.base.clock import FakeClock, to_db
from desk.demo.shop import populate
from desk.messaging import templates
from desk.read import contact_search, conversation_text
from desk.read import queries as q
from desk.store import models as m
from desk.store.db import close_database, open_database

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def demo_db(tmp_path: Path):
    open_database(tmp_path / "t.sqlite3")
    populate(clock=FakeClock(NOW))
    yield
    close_database()


def test_list_is_newest_first_and_filters(demo_db) -> None:
    ids = q.conversation_ids("all", limit=1000)
    rows = q.conversation_rows(ids)
    times = [rows[i].last_activity_at for i in ids]
    assert times == sorted(times, reverse=True)
    assert len(ids) == m.Conversation.select().count() == 25
    unread = q.conversation_ids("unread", limit=1000)
    assert unread and all(rows[i].unread > 0 for i in unread)
    assert set(unread) < set(ids)
    open_ids = q.conversation_ids("open", limit=1000)
    assert all(rows[i].status == m.OPEN for i in open_ids)
    callback = q.conversation_ids("callback")
    assert [rows[i].name for i in callback] == ["Tom Becker"]
    with pytest.raises(ValueError, match="unknown filter"):
        q.conversation_ids("bogus")


def test_paging_covers_everything_once(demo_db) -> None:
    pages = [q.conversation_ids(limit=7, offset=o) for o in range(0, 28, 7)]
    flat = [i for p in pages for i in p]
    assert flat == q.conversation_ids(limit=100)
    assert len(set(flat)) == 25


def test_counts_match_rows(demo_db) -> None:
    c = q.counts()
    rows = q.conversation_rows(q.conversation_ids(limit=100))
    assert c.all == 25
    assert c.unread == sum(1 for r in rows.values() if r.unread)
    assert c.unread_messages == sum(r.unread for r in rows.values())
    assert c.open == sum(1 for r in rows.values() if r.status == m.OPEN)
    assert c.callback == 1


def test_row_fields_and_titles(demo_db) -> None:
    cid = q.conversation_for_number("+12025550108")
    row = q.conversation_row(cid)
    assert row.name == "Greg Wilson" and row.opted_out
    anon = q.conversation_row(q.conversation_for_number("+12025550111"))
    assert anon.name is None and anon.title() == "(202) 555-0111"
    assert q.conversation_row(999999) is None
    assert q.conversation_rows([]) == {}


def _fill_thread(conv_id: int, days: int, per_day: int) -> None:
    rows = []
    start = NOW - timedelta(days=days)
    for d in range(days):
        for i in range(per_day):
            at = start + timedelta(days=d, hours=9, minutes=i)
            rows.append(
                {
                    "conversation": conv_id,
                    "direction": m.IN if i % 2 else m.OUT,
                    "body": f"day {d} msg {i}",
                    "state": m.RECEIVED if i % 2 else m.DELIVERED,
                    "created_at": to_db(at),
                }
            )
    with m.Message._meta.database.atomic():
        for s in range(0, len(rows), 500):
            m.Message.insert_many(rows[s : s + 500]).execute()


def test_thread_pages_walk_back_by_whole_days(demo_db) -> None:
    contact = m.Contact.create(number="+12025550150", name="Big Thread", created_at=to_db(NOW))
    conv = m.Conversation.create(contact=contact, last_activity_at=to_db(NOW))
    _fill_thread(conv.id, days=30, per_day=7)
    zone = ZoneInfo("UTC")
    seen: list[q.MessageRow] = []
    page = q.thread_page(conv.id, limit=10, zone=zone)
    pages = 1
    seen = page.messages + seen
    while page.has_more:
        page = q.thread_page(conv.id, before=page.messages[0].key, limit=10, zone=zone)
        seen = page.messages + seen
        pages += 1
        # Each page starts at the beginning of a day: no day is split.
        first = page.messages[0]
        assert first.body.endswith("msg 0")
    assert len(seen) == 210 and len({r.id for r in seen}) == 210
    assert [r.key for r in seen] == sorted(r.key for r in seen)
    assert 10 <= pages <= 21


def test_thread_page_of_unknown_conversation_is_empty(demo_db) -> None:
    page = q.thread_page(424242)
    assert page.messages == [] and not page.has_more


def test_message_states_and_attention(demo_db) -> None:
    ahmed = q.conversation_for_number("+12025550106")
    att = q.attention_messages(ahmed)
    assert [a.state for a in att] == [m.UNCERTAIN]
    assert att[0].error and "may or may not" in att[0].error
    sofia = q.attention_messages(q.conversation_for_number("+12025550107"))
    assert sofia[0].state == m.FAILED
    lukas = q.thread_page(q.conversation_for_number("+12025550110")).messages
    assert any(r.masked and "4111 1111" not in r.body for r in lukas)
    anon = q.thread_page(q.conversation_for_number("+12025550111")).messages
    assert anon[0].incomplete
    assert q.message_row(att[0].id) == att[0]
    assert q.message_row(10**9) is None


def test_contact_details_and_consent_history(demo_db) -> None:
    conv = q.conversation_for_number("+12025550108")
    cid = q.contact_for_conversation(conv)
    d = q.contact_details(cid)
    assert d.name == "Greg Wilson" and d.opted_out and d.conversation_id == conv
    hist = q.consent_history(cid)
    assert [(h.kind, h.method) for h in hist] == [("opt_out", "keyword")]
    assert q.contact_details(999999) is None
    # The opt-out survives erasing the contact: history is matched by number too.
    m.ConsentEvent.create(
        contact=None,
        number=d.number,
        kind="opt_in",
        method="staff",
        at=to_db(NOW + timedelta(minutes=1)),
    )
    assert [h.kind for h in q.consent_history(cid)] == ["opt_in", "opt_out"]


def test_find_contacts_by_name_or_digits(demo_db) -> None:
    assert [h.name for h in contact_search.find_contacts("Maria")] == ["Maria Lopez"]
    hits = contact_search.find_contacts("555-0111")
    assert [h.number for h in hits] == ["+12025550111"]
    assert contact_search.find_contacts("   ") == []


def test_templates_queue_and_export(demo_db) -> None:
    rows = templates.templates()
    assert "hours" in [t.name for t in rows]
    assert [t.position for t in rows] == sorted(t.position for t in rows)
    m.Message.update(state=m.QUEUED).where(m.Message.state == m.SENT).execute()
    assert q.queue_size() == m.Message.select().where(m.Message.state == m.QUEUED).count() == 2
    text = conversation_text.export_conversation(q.conversation_for_number("+12025550102"))
    assert text.startswith("Conversation with James O'Connor")
    assert "Yes please, 10am if possible" in text
    with pytest.raises(LookupError):
        conversation_text.export_conversation(999999)


def test_the_attention_filter_holds_what_needs_a_person(demo_db) -> None:
    ids = set(q.conversation_ids("attention"))
    unsure = q.conversation_for_number("+12025550106")
    failed = q.conversation_for_number("+12025550107")
    assert {unsure, failed} <= ids
    flagged = {c.id for c in m.Conversation.select().where(m.Conversation.needs_attention == True)}  # noqa: E712
    assert ids == flagged | {unsure, failed}
    assert q.counts().attention == len(ids)
