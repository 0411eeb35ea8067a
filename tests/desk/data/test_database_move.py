"""desk.data.database_move: the demo shop's SQLite file moved to the real PostgreSQL server
(tests/helpers/postgres.py): every row kept with its id, verified, search working, the file
untouched; a non-empty target refused with nothing written."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import psycopg
import pytest

from desk.base.paths import resolve_profile
from desk.data import backup, database_move
from desk.demo import shop
from desk.read import search
from desk.store.db import close_database, open_database, open_server_database
from desk.store.models import AuditLog, Contact, Message
from tests.helpers.postgres import PgServer


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    path = tmp_path / "textdesk.sqlite3"
    open_database(path)
    shop.populate()
    close_database()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file_counts(path: Path, tables: list[str]) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def test_the_demo_shop_moves_whole_to_the_server(demo_file: Path, pg_url: str) -> None:
    before = _digest(demo_file)
    seen: list[str] = []
    result = database_move.move(demo_file, pg_url, progress=lambda t, done, total: seen.append(t))
    assert _digest(demo_file) == before  # the file is left exactly as it was
    assert result.messages > 20 and result.rows["contact"] > 5
    assert set(seen) <= set(result.rows)
    with psycopg.connect(pg_url) as con:
        for table, n in result.rows.items():
            assert con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == n + (
                1 if table == "audit_log" else 0
            ), table
        searchable = con.execute("SELECT count(*) FROM message_search").fetchone()[0]
        assert searchable == result.rows["message"]
    assert _file_counts(demo_file, list(result.rows)) == result.rows

    # The models work on the server: the same ids, search, new rows after the old ones.
    lite = sqlite3.connect(demo_file)
    newest_id, newest_body = lite.execute(
        "SELECT id, body FROM message ORDER BY id DESC LIMIT 1"
    ).fetchone()
    word = max(search.words(newest_body), key=len)
    lite.close()
    assert Message.get_by_id(newest_id).body == newest_body
    assert newest_id in [h.message_id for h in search.search(word, limit=200)]
    contact = Contact.create(number="+15550009999", notes="", tags="", created_at="2026-01-01")
    assert contact.id > max(c.id for c in Contact.select().where(Contact.id != contact.id))
    moved = AuditLog.select().where(AuditLog.action == "database").get()
    assert "messages" in moved.detail and str(demo_file) in moved.detail


def test_a_target_that_holds_a_shop_is_refused_and_left_alone(
    demo_file: Path, pg_server: PgServer
) -> None:
    url = pg_server.fresh_database()
    open_server_database(url)
    Contact.create(number="+15550001234", notes="", tags="", created_at="2026-01-01")
    close_database()
    with pytest.raises(database_move.MoveError, match="already holds a shop's data"):
        database_move.move(demo_file, url)
    with psycopg.connect(url) as con:
        assert con.execute("SELECT count(*) FROM contact").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM message").fetchone()[0] == 0
    close_database()


def test_foreign_tables_and_an_old_file_are_refused(demo_file: Path, pg_server: PgServer) -> None:
    url = pg_server.fresh_database()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(database_move.MoveError, match="not TextDesk's"):
        database_move.move(demo_file, url)
    close_database()
    lite = sqlite3.connect(demo_file)
    lite.execute("PRAGMA user_version = 3")
    lite.close()
    with pytest.raises(database_move.MoveError, match="start TextDesk once"):
        database_move.move(demo_file, pg_server.fresh_database())


def test_an_empty_textdesk_schema_is_an_empty_target(demo_file: Path, pg_url: str) -> None:
    """A counter that opened the server first made the tables; with no rows it takes the move."""
    open_server_database(pg_url)
    close_database()
    result = database_move.move(demo_file, pg_url)
    assert Message.select().count() == result.messages


def test_no_daily_copy_of_the_old_file_once_the_shop_is_on_the_server(
    demo_file: Path, pg_url: str
) -> None:
    database_move.move(demo_file, pg_url)
    profile = resolve_profile(demo_file.parent).with_database(pg_url)
    assert backup.auto_backup(profile) is None
    assert not profile.backup_dir.exists() or not list(profile.backup_dir.iterdir())
    assert backup.auto_backup(profile.with_database(None)) is not None  # the file's own profile


def test_a_value_the_server_refuses_undoes_the_whole_copy(demo_file: Path, pg_url: str) -> None:
    """PostgreSQL text cannot hold a NUL character, which SQLite keeps: one such message stops
    the move in one sentence, with nothing left on the server and the file as it was."""
    lite = sqlite3.connect(demo_file)
    lite.execute("UPDATE message SET body = 'bad' || char(0) || 'byte' WHERE id = 3")
    lite.commit()
    lite.close()
    before = _digest(demo_file)
    with pytest.raises(database_move.MoveError, match="refused a row of message"):
        database_move.move(demo_file, pg_url)
    assert _digest(demo_file) == before
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT count(*) FROM contact").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM message").fetchone()[0] == 0
    close_database()
