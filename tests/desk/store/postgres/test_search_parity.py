"""Search on PostgreSQL finds what FTS5 finds: the same queries on one shared corpus, run on a
real SQLite file and on the real PostgreSQL server (tests/helpers/postgres.py), hit sets equal.

Where the two engines cannot agree, the difference is pinned in DIFFERENCES with its reason (and
listed in docs/SCALING.md): a new one makes the test fail until it is understood and written down.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import peewee as pw
import pytest

from desk.base.clock import to_db
from desk.read import search
from desk.store.db import db, open_database, open_server_database
from desk.store.models import Contact, Conversation, Message
from tests.helpers.postgres import PgServer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# (number, name, notes, tags)
CONTACTS = [
    ("+15551234567", "Anna Müller", "prefers mornings", "vip"),
    ("+447700900123", "Bob O'Neil", "", "mechanic,late"),
    ("+33612345678", "Noël Café-Crème", "allergic to latex", ""),
    ("+4915112345678", "Jürgen Straße", "pays by card", "regular"),
    ("+81312345678", "山田太郎", "", ""),
    ("+79161234567", "Пётр Иванов", "говорит по-русски", ""),
    ("+306912345678", "Ελένη", "", "new"),
    ("+15550001111", None, "walk-in, no name given", ""),
]

# (contact index, body)
MESSAGES = [
    (0, "Can I book a cleaning appointment?"),
    (0, "Your appointment is confirmed for Tuesday 10:30"),
    (1, "Is my car ready? The café said 5pm"),
    (1, 'He said "hi" and AND OR NEAR * stuff'),
    (2, "Merci, à bientôt ! Le CAFÉ était très bon"),
    (2, "My e-mail is noel@example.com, or call 555-1234"),
    (3, "The total is 12.50 euros, paid 2026-11-01"),
    (3, "Ich wohne in der Straße am Fluß, Öffnungszeiten?"),
    (4, "予約を変更したいです"),
    (5, "Привет! Можно перенести запись?"),
    (6, "Καλημέρα, θα ήθελα ραντεβού"),
    (7, "See www.shop-example.co.uk/offers for the covid-19 rules"),
    (7, "don't forget: order_id #4417, price 12,50"),
    (0, "Thanks 🙂 see you soon"),
    (1, "Call me on +44 20 7946 0018 after 6"),
    (2, "Œuvre complète, æble, naïve coöperation"),
]

QUERIES = [
    # words, case, prefix while typing, several words
    "appointment", "APPOINTMENT", "appoint", "cleaning appo", "clean appointment", "car ready",
    "confirmed tuesday", "you", "see",
    # accents ignored on both sides
    "cafe", "café", "CAFE", "noel", "müller", "muller", "bientot", "tres", "naive", "cooperation",
    "öffnungszeiten", "oeffnungszeiten",
    # names, notes, tags
    "anna", "Anna Müller", "vip", "mechanic", "latex", "regular", "walk", "O'Neil", "neil",
    # numbers: phone numbers by substring, numbers inside text
    "1234", "+1 555", "555-1234", "0018", "+44 20", "7946", "10:30", "2026", "12", "12.50",
    "12,50", "4417", "covid-19", "covid", "19",
    # e-mail, host, address
    "noel@example.com", "noel@", "example", "www.shop-example.co.uk", "shop", "offers",
    # other scripts
    "привет", "ПРИВЕТ", "пётр", "петр", "Καλημέρα", "καλημερα", "ελένη", "予約", "予約を変更したいです",
    "山田太郎",
    # other folding
    "straße", "strasse", "fluß", "fluss", "œuvre", "oeuvre", "æble", "aeble",
    # apostrophes and underscores
    "don't", "don", "order_id", "order",
    # hostile syntax: never an error, never syntax
    'he said "hi', "AND", "OR", "NEAR", "*", "NEAR(", "a OR", '"', "(", "col:val", "^start",
    "-minus", "+plus", "hi AND", "NOT", "'", "\\", "%", "_", "\x00", "{a b}", "🙂", "   ", "",
    "a & b", "car | ready", "!car", "car <-> ready", "car:*", "'car'", "a" * 300,
    "appointment " * 30,
]  # fmt: skip

# Why the engines differ, in the words of docs/SCALING.md.
INSIDE = (
    "PostgreSQL's parser keeps an e-mail address, a host name and a decimal number as one token "
    "(noel@example.com, www.shop-example.co.uk, 12.50); a query finds such a token by its first "
    "piece (noel, www, 12) but not by a later one (example, shop, 50), which FTS5 finds as words"
)
FOLDS = (
    "unaccent folds more than FTS5's remove_diacritics, which takes accents off Latin letters "
    "only: PostgreSQL also finds {what}"
)

# query -> (hits only FTS5 finds, hits only PostgreSQL finds, why)
DIFFERENCES: dict[str, tuple[set[str], set[str], str]] = {
    "12,50": ({"m6"}, set(), INSIDE),
    "example": ({"m5", "m11"}, set(), INSIDE),
    "shop": ({"m11"}, set(), INSIDE),
    "петр": (set(), {"c5"}, FOLDS.format(what="Пётр for петр (ё is е)")),
    "καλημερα": (set(), {"m10"}, FOLDS.format(what="Καλημέρα for καλημερα (Greek accents)")),
    "strasse": (set(), {"c3", "m7"}, FOLDS.format(what="Straße for strasse (ß is ss)")),
    "fluss": (set(), {"m7"}, FOLDS.format(what="Fluß for fluss (ß is ss)")),
    "oeuvre": (set(), {"m15"}, FOLDS.format(what="Œuvre for oeuvre (œ is oe)")),
    "aeble": (set(), {"m15"}, FOLDS.format(what="æble for aeble (æ is ae)")),
}


def _fill() -> dict[int, str]:
    """The corpus in this database; {message id: "m<index>"} (contacts are "c<index>")."""
    conversations = []
    for i, (number, name, notes, tags) in enumerate(CONTACTS):
        at = to_db(T0 + timedelta(minutes=i))
        contact = Contact.create(number=number, name=name, notes=notes, tags=tags, created_at=at)
        conversations.append(Conversation.create(contact=contact, last_activity_at=at))
    labels = {}
    for i, (who, body) in enumerate(MESSAGES):
        at = to_db(T0 + timedelta(hours=1, minutes=i))
        msg = Message.create(
            conversation=conversations[who], direction="in", body=body, state="received",
            created_at=at,
        )  # fmt: skip
        Conversation.update(last_activity_at=at).where(
            Conversation.id == conversations[who].id
        ).execute()
        labels[msg.id] = f"m{i}"
    return labels


@pytest.fixture(scope="module")
def engines(
    pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[pw.Database, dict[int, str], dict[int, str]]]]:
    """Both databases with the corpus: {kind: (database, message labels, contact labels)}."""
    made: dict[str, tuple[pw.Database, dict[int, str], dict[int, str]]] = {}
    folder: Path = tmp_path_factory.mktemp("parity")
    for kind in ("sqlite", "postgresql"):
        if kind == "sqlite":
            database: pw.Database = open_database(folder / "textdesk.sqlite3")
        else:
            database = open_server_database(pg_server.fresh_database())
        labels = _fill()
        contacts = {c.id: f"c{i}" for i, c in enumerate(Contact.select().order_by(Contact.id))}
        made[kind] = (database, labels, contacts)
    yield made
    for database, _, _ in made.values():
        database.close()
    db.initialize(None)


def ordered_hits(made: tuple[pw.Database, dict[int, str], dict[int, str]], query: str) -> list[str]:
    database, messages, contacts = made
    db.initialize(database)
    found = search.search(query, limit=100)
    return [messages[h.message_id] if h.message_id else contacts[h.contact_id] for h in found]


def hits_on(made: tuple[pw.Database, dict[int, str], dict[int, str]], query: str) -> set[str]:
    return set(ordered_hits(made, query))


@pytest.mark.parametrize("query", QUERIES)
def test_the_same_hits_on_sqlite_and_postgresql(engines, query: str) -> None:
    in_order = ordered_hits(engines["sqlite"], query), ordered_hits(engines["postgresql"], query)
    lite, pg = set(in_order[0]), set(in_order[1])
    only_lite, only_pg, why = DIFFERENCES.get(query, (set(), set(), "they should agree"))
    assert (lite - pg, pg - lite) == (only_lite, only_pg), (
        f"{query!r}: {sorted(lite)} vs {sorted(pg)}; {why}"
    )
    if query not in DIFFERENCES:  # newest first on both
        assert in_order[0] == in_order[1]
        db.initialize(engines["sqlite"][0])
        counted = search.count_messages(query)
        db.initialize(engines["postgresql"][0])
        assert search.count_messages(query) == counted


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cafe", {"m2", "m4", "c2"}),
        ("appoint", {"m0", "m1"}),
        ("1234", {"c0", "c2", "c3", "c4", "c5", "c6", "m5"}),
        ("noel", {"c2", "m5"}),
        ("12", {"m5", "m6", "m12"}),
        ("привет", {"m9"}),
        ("covid-19", {"m11"}),
        ("offers", {"m11"}),
    ],
)
def test_the_corpus_finds_what_it_should(engines, query: str, expected: set[str]) -> None:
    """Not empty equal to empty: these queries find these hits, on both engines."""
    assert hits_on(engines["sqlite"], query) == expected
    assert hits_on(engines["postgresql"], query) == expected
