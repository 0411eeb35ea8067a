"""Search over everything: message bodies and contact names, numbers, notes and tags (FTS5).

What staff type is never handed to FTS5 as syntax: it is cut into words, each word is quoted,
and the last word matches as a prefix (so results appear while typing). "card?", 'he said "hi',
AND / OR / NEAR and a lone "*" are all just text. Accents are ignored on both sides
(``remove_diacritics 2``). A query that is only a phone number (digits, spaces, +, -, brackets)
also matches contact numbers by substring, so "1234" finds +15551234567.

Results are newest first. Message hits are read in descending rowid order straight from the
FTS index (ids grow with time), so a common word on a million messages stops after ``limit``.
Read-only: safe on the window's own connection.

On the shop's PostgreSQL server the same search runs on its full-text index instead
(desk.read.search_pg, chosen by the database's kind): the same hits on the shared corpus of
tests/desk/store/postgres/test_search_parity.py, the differences listed there and in
docs/SCALING.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import peewee as pw

from desk.base.clock import utc
from desk.read import search_pg
from desk.store.db import db

MARK_START = "\x02"  # highlight markers inside Hit.snippet
MARK_END = "\x03"
ELLIPSIS = "…"
SNIPPET_TOKENS = 12
MAX_WORDS = 16  # a pasted paragraph is searched by its first words
_CONTACT_LIMIT = 200  # contact hits considered per query (a shop has thousands, not millions)

_WORD = re.compile(r"\w+", re.UNICODE)
_PHONEISH = re.compile(r"[\d\s+\-().]+")


@dataclass(frozen=True)
class Hit:
    conversation_id: int | None
    message_id: int | None  # None: the contact itself matched (name, number, notes, tags)
    contact_id: int
    snippet: str  # matched text with MARK_START/MARK_END around each match
    at: datetime  # aware UTC: the message's time, or the conversation's last activity
    number: str = ""
    name: str | None = None

    @property
    def is_contact(self) -> bool:
        return self.message_id is None


def words(query: str) -> list[str]:
    """The words of a query, as FTS5's unicode61 tokenizer will see them."""
    return _WORD.findall(query or "")


def fts_query(query: str) -> str | None:
    """A safe FTS5 MATCH expression for ``query`` (None when it holds no word at all).

    Each word is a quoted string (FTS syntax in it is inert); the last one is a prefix."""
    tokens = [w.replace('"', '""') for w in words(query)[:MAX_WORDS]]
    if not tokens:
        return None
    quoted = [f'"{t}"' for t in tokens]
    quoted[-1] += "*"
    return " ".join(quoted)


def number_digits(query: str) -> str | None:
    """The digits of a phone-number-like query (at least three), else None."""
    q = (query or "").strip()
    if not q or not _PHONEISH.fullmatch(q):
        return None
    digits = re.sub(r"\D", "", q)
    return digits if len(digits) >= 3 else None


def split_snippet(snippet: str) -> list[tuple[str, bool]]:
    """[(text, highlighted)] pieces of a Hit.snippet, for a view to render."""
    out: list[tuple[str, bool]] = []
    for i, piece in enumerate(re.split(f"[{MARK_START}{MARK_END}]", snippet)):
        if piece:
            out.append((piece, i % 2 == 1))
    return out


def plain_snippet(snippet: str, start: str = "[", end: str = "]") -> str:
    return snippet.replace(MARK_START, start).replace(MARK_END, end)


def _at(value: object) -> datetime:
    if isinstance(value, datetime):
        return utc(value)
    text = str(value)
    return utc(datetime.fromisoformat(text))


def _on_server() -> bool:
    return isinstance(db.obj, pw.PostgresqlDatabase)


def _match(query: str) -> str | search_pg.Query | None:
    """The query for this database's index: an FTS5 MATCH text, or PostgreSQL's tsquery."""
    return search_pg.parse(query, MAX_WORDS) if _on_server() else fts_query(query)


def _message_hits(match: str | search_pg.Query, limit: int) -> list[Hit]:
    if isinstance(match, search_pg.Query):
        found = search_pg.message_rows(
            match, limit, (MARK_START, MARK_END), ELLIPSIS, SNIPPET_TOKENS
        )
        return [Hit(r[0], r[1], r[2], r[3], _at(r[4]), r[5], r[6]) for r in found]
    sql = f"""
        SELECT m.conversation_id, m.id, cv.contact_id,
               snippet(message_fts, 0, ?, ?, ?, {SNIPPET_TOKENS}),
               m.created_at, c.number, c.name
        FROM message_fts
        JOIN message m ON m.id = message_fts.rowid
        JOIN conversation cv ON cv.id = m.conversation_id
        JOIN contact c ON c.id = cv.contact_id
        WHERE message_fts MATCH ?
        ORDER BY message_fts.rowid DESC
        LIMIT ?"""
    rows = db.execute_sql(sql, (MARK_START, MARK_END, ELLIPSIS, match, limit)).fetchall()
    return [Hit(r[0], r[1], r[2], r[3], _at(r[4]), r[5], r[6]) for r in rows]


def _contact_hits(match: str | search_pg.Query | None, digits: str | None) -> list[Hit]:
    hits: dict[int, Hit] = {}
    base = """
        SELECT c.id, cv.id, COALESCE(cv.last_activity_at, c.created_at), c.number, c.name
        FROM contact c LEFT JOIN conversation cv ON cv.contact_id = c.id"""
    if digits:
        like = "%" + digits.replace("\\", "") + "%"
        rows = (
            search_pg.number_rows(digits, _CONTACT_LIMIT)
            if _on_server()
            else db.execute_sql(
                base + " WHERE c.number LIKE ? ORDER BY 3 DESC LIMIT ?", (like, _CONTACT_LIMIT)
            ).fetchall()
        )
        for cid, conv, at, number, name in rows:
            snippet = _mark_digits(number, digits)
            if name:
                snippet = f"{name} · {snippet}"
            hits[cid] = Hit(conv, None, cid, snippet, _at(at), number, name)
    if isinstance(match, search_pg.Query):
        marks = (MARK_START, MARK_END)
        found = search_pg.contact_rows(match, _CONTACT_LIMIT, marks, ELLIPSIS, SNIPPET_TOKENS)
    elif match:
        sql = f"""
            SELECT c.id, cv.id, COALESCE(cv.last_activity_at, c.created_at), c.number, c.name,
                   snippet(contact_fts, -1, ?, ?, ?, {SNIPPET_TOKENS})
            FROM contact_fts
            JOIN contact c ON c.id = contact_fts.rowid
            LEFT JOIN conversation cv ON cv.contact_id = c.id
            WHERE contact_fts MATCH ?
            ORDER BY 3 DESC LIMIT ?"""
        found = db.execute_sql(
            sql, (MARK_START, MARK_END, ELLIPSIS, match, _CONTACT_LIMIT)
        ).fetchall()
    if match:
        for cid, conv, at, number, name, snippet in found:
            if cid in hits:
                continue
            plain = snippet.replace(MARK_START, "").replace(MARK_END, "")
            if name and not plain.startswith(name):
                snippet = f"{name} · {snippet}"
            hits[cid] = Hit(conv, None, cid, snippet, _at(at), number, name)
    return list(hits.values())


def _mark_digits(number: str, digits: str) -> str:
    """Highlight ``digits`` inside ``number`` (which may hold a leading +)."""
    i = number.find(digits)
    if i < 0:
        return number
    return number[:i] + MARK_START + digits + MARK_END + number[i + len(digits) :]


def search(query: str, *, limit: int = 50, offset: int = 0) -> list[Hit]:
    """Messages and contacts matching ``query``, newest first.

    Never raises on what a person can type; an empty or word-less query returns []."""
    if limit <= 0:
        return []
    offset = max(0, offset)
    match = _match(query)
    digits = number_digits(query)
    if match is None and digits is None:
        return []
    wanted = offset + limit
    hits = _contact_hits(match, digits)
    if match is not None:
        hits.extend(_message_hits(match, wanted))
    hits.sort(key=lambda h: (h.at, h.message_id or 0), reverse=True)
    return hits[offset:wanted]


def count_messages(query: str) -> int:
    """How many messages match (for a "123 results" label; costs a full index scan)."""
    match = _match(query)
    if match is None:
        return 0
    if isinstance(match, search_pg.Query):
        return search_pg.count(match)
    row = db.execute_sql(
        "SELECT count(*) FROM message_fts WHERE message_fts MATCH ?", (match,)
    ).fetchone()
    return int(row[0])
