"""Search on the shop's PostgreSQL server: the SQL behind desk.read.search when the database is
PostgreSQL (several counters, one inbox). desk.read.search chooses it by the database's kind and
builds the hits; this module knows no Hit and imports nothing from it.

The index is the frozen schema's: ``message_search.doc`` and ``contact_search.doc`` hold
``to_tsvector('simple', unaccent(...))`` with GIN indexes (desk/store/migrations/postgresql). A
query is cut into tokens by the same parser, on the server (``ts_debug``), so whatever is copied
out of a message finds that message; every lexeme is then quoted into a tsquery built here (what
staff type is never tsquery syntax: ``&``, ``|``, ``!``, ``<->``, ``:*``, quotes and backslashes
are just text) and the last one is a prefix (``:*``), as FTS5's last word is.

PostgreSQL's parser keeps some things whole that FTS5 cuts into words (an e-mail address, a
host name, ``12.50``, ``555-1234`` as ``555`` and ``-1234``). So that a query finds what FTS5
finds, each query token also matches: a number with or without its sign (``1234`` finds
``-1234`` and ``+1234``); a word as the first piece of such a token (``anna`` finds
``anna@example.com``, ``12`` finds ``12.50``, ``shop`` finds ``shop.co.uk``, ``offers`` finds
``/offers`` of ``shop.co.uk/offers``); a whole token of that kind as its words (``12.50`` finds
"12,50"). What still differs from FTS5 is listed in
docs/SCALING.md and pinned by tests/desk/store/postgres/test_search_parity.py.

Snippets are ``ts_headline`` over the original text (accents kept), highlighting the words whose
unaccented form the query matched: one fragment of about ``tokens`` words, with an ellipsis where
the text goes on, like FTS5's ``snippet()``; a contact's is the column that matched (its notes,
say), as FTS5's ``snippet(-1)`` chooses, not the name, number, notes and tags run together.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desk.store.db import db

__all__ = ["Query", "contact_rows", "count", "message_rows", "number_rows", "parse"]

_WORD = re.compile(r"\w+", re.UNICODE)
# Tokens that ts_debug follows with their own parts (hello-world: hello, world; a URL: its host
# and path): the parts are searched, the whole is not needed.
_WITH_PARTS = frozenset({"asciihword", "hword", "numhword", "url"})
_NUMBERS = frozenset({"int", "uint"})
_PLAIN = frozenset({"asciiword", "word", "numword", "uint", "hword_asciipart", "hword_part",
                    "hword_numpart"})  # fmt: skip
_GLUE = (".", "@", "/")
_LONGEST = 500  # characters: to_tsvector leaves out words over 2047 bytes  # what joins a plain word into an e-mail, host, file or number token


@dataclass(frozen=True)
class Query:
    """A user's query made safe for PostgreSQL: ``tsquery`` (tsquery text, cast ``::tsquery``),
    and the unaccented lexemes a snippet highlights (``exact`` and ``prefixes``, LIKE patterns)."""

    tsquery: str
    exact: tuple[str, ...]
    prefixes: tuple[str, ...]


def _quote(lexeme: str, prefix: bool) -> str:
    body = lexeme.replace("\\", "\\\\").replace("'", "''")
    return f"'{body}'" + (":*" if prefix else "")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _head(query: str, max_words: int) -> str:
    """``query`` up to the end of its ``max_words``-th word (a pasted paragraph: its start)."""
    found = list(_WORD.finditer(query or ""))
    if len(found) > max_words:
        return query[: found[max_words - 1].end()]
    return query or ""


def _tokens(text: str) -> list[tuple[str, str]]:
    """(alias, lexeme) of each token of ``text`` as the index's parser cuts it, unaccented."""
    if not _WORD.search(text):
        return []
    sql = (
        "SELECT alias, lexemes[1] FROM ts_debug('simple', unaccent(%s)) "
        "WHERE lexemes IS NOT NULL AND cardinality(lexemes) > 0"
    )
    rows = db.execute_sql(sql, (text.replace("\x00", " "),)).fetchall()
    # a word longer than PostgreSQL indexes (2 kB) is in no document: it finds nothing
    return [(str(a), str(x)) for a, x in rows if a not in _WITH_PARTS and 0 < len(x) < _LONGEST]


def _alternatives(alias: str, lexeme: str, prefix: bool) -> list[tuple[str, bool]]:
    """The (lexeme, is_prefix) operands one query token matches, OR-ed together."""
    found: list[tuple[str, bool]] = [(lexeme, prefix)]
    if alias in _NUMBERS:
        digits = lexeme.lstrip("+-")
        found = [(digits, prefix), ("-" + digits, prefix), ("+" + digits, prefix)]
    if alias in _PLAIN:
        if not prefix:
            found += [(lexeme + glue, True) for glue in _GLUE]
        found += [("/" + lexeme, prefix), ("/" + lexeme + "/", True)]  # a web address's path
    return list(dict.fromkeys(found))


def parse(query: str, max_words: int) -> Query | None:
    """The tsquery for ``query`` (None when it holds no word at all). Reads the server's parser."""
    tokens = _tokens(_head(query, max_words))
    if not tokens:
        return None
    groups: list[str] = []
    exact: list[str] = []
    prefixes: list[str] = []
    for i, (alias, lexeme) in enumerate(tokens):
        last = i == len(tokens) - 1
        highlight = _alternatives(alias, lexeme, last)
        operands = [_quote(x, p) for x, p in highlight]
        words = _WORD.findall(lexeme)
        if alias not in _PLAIN and alias not in _NUMBERS and len(words) > 1:
            # an e-mail, host, file or number token, or all of its words (12.50 finds "12,50")
            parts = [(w, last and j == len(words) - 1) for j, w in enumerate(words)]
            operands.append("(" + " & ".join(_quote(w, p) for w, p in parts) + ")")
            highlight += parts
        groups.append("(" + " | ".join(operands) + ")")
        for x, p in highlight:
            (prefixes if p else exact).append(_like(x) if p else x)
    return Query(" & ".join(groups), tuple(dict.fromkeys(exact)), tuple(dict.fromkeys(prefixes)))


def _options(marks: tuple[str, str], tokens: int) -> str:
    start, stop = marks
    return (
        f"StartSel={start}, StopSel={stop}, MaxWords={tokens}, MinWords={max(1, tokens // 2)}, "
        "ShortWord=0, MaxFragments=1"
    )


# The document's own lexemes whose unaccented form the query matched, as a tsquery (quoted as
# _quote does), so ts_headline marks "café" for a query "cafe". Parameters: the exact lexemes,
# the prefix patterns.
_OWN = r"""(SELECT string_agg('''' || replace(replace(t.lexeme, '\', '\\'), '''', '''''')
                         || '''', ' | ')::tsquery
     FROM unnest(to_tsvector('simple', {column})) AS t
     WHERE unaccent(t.lexeme) = ANY(%s::text[]) OR unaccent(t.lexeme) LIKE ANY(%s::text[]))"""


def _headline(column: str) -> str:
    """SQL for the snippet of ``column`` (the original text). Parameters: the exact lexemes,
    the prefix patterns, the options."""
    return f"ts_headline('simple', {column}, {_OWN.format(column=column)}, %s)"


def _framed(snippet: str | None, text: str, marks: tuple[str, str], ellipsis: str) -> str:
    """``snippet`` with an ellipsis where ``text`` goes on before or after it; the text's first
    words when nothing could be highlighted (a token the two parsers cut differently)."""
    if snippet is None:
        words = text.split()
        return " ".join(words[:12]) + (ellipsis if len(words) > 12 else "")
    core = snippet.replace(marks[0], "").replace(marks[1], "").strip()
    if core and not text.lstrip().startswith(core):
        snippet = ellipsis + snippet.lstrip()
    if core and not text.rstrip().endswith(core):
        snippet = snippet.rstrip() + ellipsis
    return snippet


# The newest messages first: a word common among them is found by walking the newest ids
# (the primary key, backwards) over at most RECENT of them; a rarer one by the GIN index, whose
# matches are then sorted (ORDER BY message_id + 0 keeps the planner off the primary key, which
# it would otherwise walk over the whole table for a word it cannot estimate, as for a prefix).
RECENT = 20000


def newest_ids(q: Query, limit: int) -> list[int]:
    """The ids of the newest ``limit`` messages matching ``q``, newest first."""
    top = db.execute_sql("SELECT max(message_id) FROM message_search").fetchone()[0]
    if top is None:
        return []
    recent = db.execute_sql(
        "SELECT message_id FROM message_search WHERE message_id > %s AND doc @@ %s::tsquery "
        "ORDER BY message_id DESC LIMIT %s",
        (int(top) - RECENT, q.tsquery, limit),
    ).fetchall()
    if len(recent) >= limit or int(top) <= RECENT:
        return [int(r[0]) for r in recent]
    rows = db.execute_sql(
        "SELECT message_id FROM message_search WHERE doc @@ %s::tsquery "
        "ORDER BY message_id + 0 DESC LIMIT %s",
        (q.tsquery, limit),
    ).fetchall()
    return [int(r[0]) for r in rows]


def message_rows(
    q: Query, limit: int, marks: tuple[str, str], ellipsis: str, tokens: int
) -> list[tuple[int, int, int, str, datetime, str, str | None]]:
    """(conversation, message, contact, snippet, created_at, number, name) of the newest
    ``limit`` messages matching ``q``, newest (highest id) first. Snippets only for those."""
    ids = newest_ids(q, limit)
    if not ids:
        return []
    sql = f"""
        SELECT m.conversation_id, m.id, cv.contact_id, {_headline("m.body")},
               m.created_at, c.number, c.name, m.body
        FROM message m
        JOIN conversation cv ON cv.id = m.conversation_id
        JOIN contact c ON c.id = cv.contact_id
        WHERE m.id = ANY(%s)
        ORDER BY m.id DESC"""
    params: Sequence[Any] = (list(q.exact), list(q.prefixes), _options(marks, tokens), ids)
    rows = db.execute_sql(sql, params).fetchall()
    return [
        (conv, mid, cid, _framed(snip, body, marks, ellipsis), at, number, name)
        for conv, mid, cid, snip, at, number, name, body in rows
    ]


# The contact columns searched, in the index's order (contact_fts: name, number, notes, tags).
_CONTACT_COLUMNS = ("c.name", "c.number", "c.notes", "c.tags")


def contact_rows(
    q: Query, limit: int, marks: tuple[str, str], ellipsis: str, tokens: int
) -> list[tuple[int, int | None, datetime, str, str | None, str]]:
    """(contact, conversation, last activity, number, name, snippet) of the contacts whose name,
    number, notes or tags match ``q``, most recently active first. The snippet is the column
    that matched best (most highlighted words; the first of a tie), as FTS5's ``snippet(-1)``
    picks it, so desk.read.search puts the name before notes or tags that matched."""
    columns = [f"COALESCE({column}, '')" for column in _CONTACT_COLUMNS]
    sql = f"""
        SELECT c.id, cv.id, COALESCE(cv.last_activity_at, c.created_at), c.number, c.name,
               {", ".join(_headline(column) for column in columns)}, {", ".join(columns)}
        FROM contact_search s
        JOIN contact c ON c.id = s.contact_id
        LEFT JOIN conversation cv ON cv.contact_id = c.id
        WHERE s.doc @@ %s::tsquery
        ORDER BY 3 DESC LIMIT %s"""
    each = (list(q.exact), list(q.prefixes), _options(marks, tokens))
    params: Sequence[Any] = (*each * len(columns), q.tsquery, limit)
    rows = db.execute_sql(sql, params).fetchall()
    width = len(columns)
    found = []
    for cid, conv, at, number, name, *rest in rows:
        snippets, texts = rest[:width], rest[width:]
        found.append((cid, conv, at, number, name, _best(snippets, texts, marks, ellipsis)))
    return found


def _best(
    snippets: Sequence[str | None], texts: Sequence[str], marks: tuple[str, str], ellipsis: str
) -> str:
    """The snippet of the column with the most highlighted words (the first of a tie); when
    none has any (a token the parsers cut differently), the first words of all of them."""
    counts = [(snip or "").count(marks[0]) for snip in snippets]
    if max(counts, default=0) == 0:
        return _framed(None, " ".join(t for t in texts if t), marks, ellipsis)
    i = counts.index(max(counts))
    return _framed(snippets[i], texts[i], marks, ellipsis)


def number_rows(digits: str, limit: int) -> list[tuple[int, int | None, datetime, str, str | None]]:
    """(contact, conversation, last activity, number, name) of contacts whose number holds
    ``digits``, most recently active first."""
    sql = """
        SELECT c.id, cv.id, COALESCE(cv.last_activity_at, c.created_at), c.number, c.name
        FROM contact c LEFT JOIN conversation cv ON cv.contact_id = c.id
        WHERE strpos(c.number, %s) > 0 ORDER BY 3 DESC LIMIT %s"""
    rows = db.execute_sql(sql, (digits, limit)).fetchall()
    return [(cid, conv, at, number, name) for cid, conv, at, number, name in rows]


def count(q: Query) -> int:
    """How many messages match ``q``."""
    row = db.execute_sql(
        "SELECT count(*) FROM message_search WHERE doc @@ %s::tsquery", (q.tsquery,)
    ).fetchone()
    return int(row[0])
