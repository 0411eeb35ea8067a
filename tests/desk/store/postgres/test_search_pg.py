"""desk.read.search on the real PostgreSQL server: snippets (ts_headline over the original text,
accents kept and marked), the tsquery built from what is typed, and hostile input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import peewee as pw
import pytest

from desk.base.clock import to_db
from desk.read import search, search_pg
from desk.store.db import db, open_server_database
from desk.store.models import Contact, Conversation, Message
from tests.helpers.postgres import PgServer

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
LONG = (
    "Good morning, we wanted to let you know that the workshop opens later on Monday because "
    "the café next door is being renovated and the street is closed until noon for the works"
)


@pytest.fixture(scope="module")
def filled(pg_server: PgServer) -> Iterator[tuple[pw.Database, dict[str, int]]]:
    """One database for the module (these tests only read): creating one costs about 1.5 s."""
    database = open_server_database(pg_server.fresh_database())
    anna = Contact.create(number="+15551234567", name="Anna Müller", notes="prefers mornings",
                          tags="vip", created_at=to_db(T0))  # fmt: skip
    conv = Conversation.create(contact=anna, last_activity_at=to_db(T0))
    ids = {"anna": anna.id}
    for i, body in enumerate(["Le CAFÉ était très bon", LONG, "It's O'Neil's \\ back:slash"]):
        ids[f"m{i}"] = Message.create(
            conversation=conv, direction="in", body=body, state="received",
            created_at=to_db(T0 + timedelta(minutes=i)),
        ).id  # fmt: skip
    yield database, ids
    database.close()
    db.initialize(None)


@pytest.fixture
def shop(filled: tuple[pw.Database, dict[str, int]]) -> dict[str, int]:
    db.initialize(filled[0])
    return filled[1]


def test_snippets_mark_the_accented_word_a_plain_query_found(shop) -> None:
    hits = {h.message_id: h for h in search.search("cafe")}
    assert search.plain_snippet(hits[shop["m0"]].snippet) == "Le [CAFÉ] était très bon"
    long = search.plain_snippet(hits[shop["m1"]].snippet)
    assert "[café]" in long
    assert long.startswith("…") and long.endswith("…")  # the message goes on both sides
    assert len(long.split()) <= search.SNIPPET_TOKENS + 1
    assert long.replace("[", "").replace("]", "").strip("…") in LONG


def test_prefix_snippet_and_contact_hits(shop) -> None:
    hits = search.search("mülle")  # typing: the last word is a prefix
    contact = [h for h in hits if h.is_contact]
    assert [h.contact_id for h in contact] == [shop["anna"]]
    assert search.plain_snippet(contact[0].snippet).startswith("Anna [Müller]")
    assert [h.message_id for h in search.search("morn") if h.is_contact] == [None]


def test_the_tsquery_quotes_everything_typed(shop) -> None:
    q = search_pg.parse("o'neil's back\\slash & | ! <-> :*", search.MAX_WORDS)
    assert q is not None
    assert "'slash':*" in q.tsquery  # the last word a prefix; the rest quoted words
    assert "&" in q.tsquery and "'<->'" not in q.tsquery
    assert [h.message_id for h in search.search("o'neil's back\\slash")] == [shop["m2"]]
    assert search_pg.parse("!!! <-> :*", search.MAX_WORDS) is None


@pytest.mark.parametrize(
    "query",
    ["'", "''", "\\", "\\'", ":*", "a:*b", "&|!", "(a", "a)", "<->", "<2>", "'a' & 'b'",
     "\x00", "a\x00b", "%", "_", "🙂", "x" * 3000, "word " * 500, "E'\\x00'", "$$", "--"],
)  # fmt: skip
def test_hostile_input_never_raises_on_postgresql(shop, query: str) -> None:
    assert isinstance(search.search(query), list)
    assert search.count_messages(query) >= 0


@pytest.mark.parametrize("recent", [1, 2, 100_000])
def test_newest_first_whichever_way_the_ids_are_found(
    shop, monkeypatch: pytest.MonkeyPatch, recent: int
) -> None:
    """A word among the newest ids walks them; a rarer one goes through the GIN index."""
    monkeypatch.setattr(search_pg, "RECENT", recent)
    assert [h.message_id for h in search.search("bon", limit=5)] == [shop["m0"]]
    q = search_pg.parse("b", search.MAX_WORDS)  # bon, because, back: all three messages
    assert q is not None
    assert search_pg.newest_ids(q, 2) == [shop["m2"], shop["m1"]]
    assert search_pg.newest_ids(q, 10) == [shop["m2"], shop["m1"], shop["m0"]]
