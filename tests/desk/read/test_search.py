"""desk.read.search: FTS5 over messages and contacts, safe against whatever staff type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.base.clock import to_db
from desk.read import search
from desk.store.models import Contact, Conversation, Message

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def add_contact(number: str, name: str | None = None, *, notes: str = "", tags: str = "",
                at: datetime = T0) -> Conversation:  # fmt: skip
    contact = Contact.create(number=number, name=name, notes=notes, tags=tags, created_at=to_db(at))
    return Conversation.create(contact=contact, last_activity_at=to_db(at))


def add_message(conv: Conversation, body: str, at: datetime, direction: str = "in") -> Message:
    state = "received" if direction == "in" else "sent"
    msg = Message.create(
        conversation=conv, direction=direction, body=body, state=state, created_at=to_db(at)
    )
    if at > conv.last_activity_at.replace(tzinfo=UTC):
        Conversation.update(last_activity_at=to_db(at)).where(Conversation.id == conv.id).execute()
        conv.last_activity_at = to_db(at)
    return msg


@pytest.fixture
def shop(database):
    anna = add_contact("+15551234567", "Anna Müller", notes="prefers mornings", tags="vip")
    bob = add_contact("+447700900123", "Bob Stone", tags="mechanic,late")
    ids = {
        "a1": add_message(anna, "Can I book a cleaning appointment?", T0 + timedelta(hours=1)).id,
        "a2": add_message(
            anna, "Your appointment is confirmed for Tuesday", T0 + timedelta(hours=2), "out"
        ).id,
        "b1": add_message(bob, "Is my car ready? The café said 5pm", T0 + timedelta(hours=3)).id,
        "b2": add_message(bob, 'He said "hi" and AND OR NEAR * stuff', T0 + timedelta(hours=4)).id,
    }
    return {"anna": anna, "bob": bob, **ids}


def message_ids(hits: list[search.Hit]) -> list[int | None]:
    return [h.message_id for h in hits if h.message_id is not None]


def test_finds_message_bodies_newest_first(shop) -> None:
    hits = search.search("appointment")
    assert message_ids(hits) == [shop["a2"], shop["a1"]]
    assert all(h.conversation_id == shop["anna"].id for h in hits)
    assert hits[0].at == T0 + timedelta(hours=2)
    assert hits[0].contact_id == shop["anna"].contact_id
    pieces = search.split_snippet(hits[0].snippet)
    assert ("appointment", True) in pieces
    assert search.plain_snippet(hits[0].snippet) == "Your [appointment] is confirmed for Tuesday"


def test_prefix_matching_for_the_last_word(shop) -> None:
    assert message_ids(search.search("appoint")) == [shop["a2"], shop["a1"]]
    assert message_ids(search.search("cleaning appo")) == [shop["a1"]]
    # Only the last word is a prefix: "clean" as a whole word does not match "cleaning".
    assert message_ids(search.search("clean appointment")) == []


@pytest.mark.parametrize(
    "query",
    ["card?", 'he said "hi', "AND", "OR", "NEAR", "*", "NEAR(", "a OR", '"', "(", ")",
     "col:val", "^start", "-minus", "+plus", "hi AND", "NOT", "'", "\\", "%", "_", "\x00",
     "{a b}", "🙂", "   ", "", "a" * 500],
)  # fmt: skip
def test_hostile_fts_input_never_raises(shop, query: str) -> None:
    hits = search.search(query)
    assert isinstance(hits, list)


def test_fts_syntax_words_are_plain_text(shop) -> None:
    assert message_ids(search.search('he said "hi')) == [shop["b2"]]
    assert message_ids(search.search("AND OR NEAR")) == [shop["b2"]]
    assert search.search("*") == []
    assert message_ids(search.search("ready?")) == [shop["b1"]]


def test_accents_are_ignored_both_ways(shop) -> None:
    assert message_ids(search.search("cafe")) == [shop["b1"]]
    assert message_ids(search.search("CAFÉ")) == [shop["b1"]]
    hits = search.search("muller")
    assert [h.contact_id for h in hits if h.is_contact] == [shop["anna"].contact_id]


def test_contact_fields_name_notes_tags(shop) -> None:
    def contacts(q: str) -> list[int]:
        return [h.contact_id for h in search.search(q) if h.is_contact]

    anna, bob = shop["anna"].contact_id, shop["bob"].contact_id
    assert contacts("Anna") == [anna]
    assert contacts("mornings") == [anna]
    assert contacts("vip") == [anna]
    assert contacts("mechanic") == [bob]
    hit = next(h for h in search.search("mornings") if h.is_contact)
    assert hit.conversation_id == shop["anna"].id
    assert hit.name == "Anna Müller" and hit.number == "+15551234567"
    assert search.plain_snippet(hit.snippet) == "Anna Müller · prefers [mornings]"
    tag = next(h for h in search.search("mechanic") if h.is_contact)
    assert search.plain_snippet(tag.snippet) == "Bob Stone · [mechanic],late"
    named = next(h for h in search.search("muller") if h.is_contact)
    assert search.plain_snippet(named.snippet) == "Anna [Müller]"  # the name itself: no prefix


def test_digits_match_numbers_by_substring(shop) -> None:
    anna = shop["anna"].contact_id
    assert [h.contact_id for h in search.search("1234")] == [anna]
    assert [h.contact_id for h in search.search("555 123-45")] == [anna]
    hit = search.search("(555) 1234")[0]
    assert hit.is_contact and search.plain_snippet(hit.snippet) == "Anna Müller · +1[5551234]567"
    bob = search.search("+44 7700")
    assert [h.contact_id for h in bob] == [shop["bob"].contact_id]
    assert search.search("12") == []  # too short to mean a number


def test_mixed_results_newest_first_with_limit_and_offset(shop) -> None:
    assert message_ids(search.search("is")) == [shop["b1"], shop["a2"]]
    all_hits = search.search("a", limit=100)
    ats = [h.at for h in all_hits]
    assert ats == sorted(ats, reverse=True)
    page1 = search.search("a", limit=2)
    page2 = search.search("a", limit=2, offset=2)
    assert page1 + page2 == all_hits[:4]
    assert search.search("a", limit=0) == []


def test_deleted_and_updated_messages_follow(shop) -> None:
    Message.delete().where(Message.id == shop["b1"]).execute()
    assert search.search("cafe") == []
    Message.update(body="new words here").where(Message.id == shop["a1"]).execute()
    assert message_ids(search.search("cleaning")) == []
    assert message_ids(search.search("words")) == [shop["a1"]]


def test_fts_query_builder() -> None:
    assert search.fts_query("card?") == '"card"*'
    assert search.fts_query('he said "hi') == '"he" "said" "hi"*'
    assert search.fts_query("* ( ) :") is None
    assert search.number_digits("+1 (555) 123-4567") == "15551234567"
    assert search.number_digits("call 555") is None
    pasted = " ".join(f"w{i}" for i in range(5000))
    assert search.fts_query(pasted).count('"') == 2 * search.MAX_WORDS


def test_pasted_paragraph_is_searched_by_its_first_words(shop) -> None:
    text = "Can I book a cleaning appointment? " * 1000
    assert message_ids(search.search(text)) == [shop["a1"]]
