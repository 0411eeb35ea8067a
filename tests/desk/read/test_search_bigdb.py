"""bench/bigdb.py: the generated database is a real TextDesk database that search can use."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from desk.read import search
from desk.store.db import close_database, open_database
from desk.store.migrations import SCHEMA_VERSION

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import bigdb


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "gen.sqlite3"
    return bigdb.ensure_bigdb(path, messages=3000, contacts=120, quiet=True)


def test_generated_database_has_the_real_schema_and_counts(small_db) -> None:
    con = sqlite3.connect(str(small_db))
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("SELECT count(*) FROM message").fetchone()[0] == 3000
        assert con.execute("SELECT count(*) FROM contact").fetchone()[0] == 120
        assert con.execute("SELECT count(*) FROM conversation").fetchone()[0] == 120
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Ids grow with time, over about three years.
        times = [r[0] for r in con.execute("SELECT created_at FROM message ORDER BY id")]
        assert times == sorted(times)
        span = con.execute(
            "SELECT julianday(max(created_at)) - julianday(min(created_at)) FROM message"
        ).fetchone()[0]
        assert 3 * 365 - 5 < span <= 3 * 365
        # Skewed thread sizes: the largest thread dwarfs the median one.
        sizes = [r[0] for r in con.execute(
            "SELECT count(*) FROM message GROUP BY conversation_id ORDER BY 1 DESC")]  # fmt: skip
        assert sizes[0] > 10 * sizes[len(sizes) // 2]
        # Every message is in the full-text index, and the insert trigger is back.
        assert con.execute("SELECT count(*) FROM message_fts_docsize").fetchone()[0] == 3000
        triggers = {
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
        assert {"message_fts_ai", "message_fts_ad", "message_fts_au"} <= triggers
        previews = con.execute(
            "SELECT count(*) FROM conversation WHERE last_preview = ''"
        ).fetchone()[0]
        assert previews < 120
    finally:
        con.close()


def test_search_works_on_it_and_new_rows_are_indexed(small_db, tmp_path) -> None:
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(small_db.read_bytes())
    open_database(copy)
    try:
        hits = search.search("appointment", limit=20)
        assert len(hits) == 20 and all(h.message_id for h in hits)
        assert [h.at for h in hits] == sorted((h.at for h in hits), reverse=True)
        from desk.store.models import Conversation, Message

        conv = Conversation.select().first()
        Message.create(conversation=conv, direction="in", body="quokka sighting",
                       state="received", created_at=conv.last_activity_at)  # fmt: skip
        assert len(search.search("quokka")) == 1
    finally:
        close_database()


def test_cached_by_path_and_parameters(small_db, tmp_path) -> None:
    before = small_db.stat().st_mtime_ns
    assert bigdb.ensure_bigdb(small_db, messages=3000, contacts=120, quiet=True) == small_db
    assert small_db.stat().st_mtime_ns == before  # reused, not rebuilt
    assert bigdb.is_cached(small_db, 3000, 120)
    assert not bigdb.is_cached(small_db, 4000, 120)
    assert not bigdb.is_cached(tmp_path / "nothing.sqlite3", 3000, 120)


def test_both_fts_modes_index_the_same(tmp_path) -> None:
    counts = []
    for mode in ("triggers", "rebuild"):
        path = bigdb.ensure_bigdb(tmp_path / f"{mode}.sqlite3", 800, 30, fts=mode, quiet=True)
        con = sqlite3.connect(str(path))
        counts.append(
            [
                con.execute(
                    "SELECT count(*) FROM message_fts WHERE message_fts MATCH ?", (word,)
                ).fetchone()[0]
                for word in ("appointment", "bike", "cafe", "zzz")
            ]
        )
        con.close()
    assert counts[0] == counts[1] and counts[0][0] > 0 and counts[0][-1] == 0
