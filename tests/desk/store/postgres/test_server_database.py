"""desk.store.db.ServerDatabase on the real server: TextDesk's SQLite-flavoured calls work there,
and a profile names its server (database.json, the keyring's password)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.base import secrets
from desk.base.paths import read_database_url, resolve_profile, write_database_url
from desk.store.db import ServerDatabase, db, open_server_database
from desk.store.models import Template
from desk.store.profile_db import open_profile_database


def test_question_marks_and_immediate_transactions(pg_url: str) -> None:
    database = open_server_database(pg_url)
    assert isinstance(database, ServerDatabase)
    with db.atomic("IMMEDIATE"):
        Template.create(name="100%", body="Is it ready?")
    row = db.execute_sql(
        "SELECT body FROM template WHERE name LIKE '100%' AND name = ?", ("100%",)
    ).fetchone()
    assert row == ("Is it ready?",)
    assert db.execute_sql("SELECT 1 WHERE 'a?' = %s", ("a?",)).fetchone() == (1,)


def test_a_profile_opens_the_server_its_file_names(tmp_path: Path, pg_url: str) -> None:
    secrets.put(secrets.DATABASE_PASSWORD, "ignored by a trusting server")
    write_database_url(tmp_path, pg_url)
    profile = resolve_profile(tmp_path)
    assert profile.on_server and profile.database_url == pg_url
    assert isinstance(open_profile_database(profile), ServerDatabase)
    assert not profile.db_path.exists()  # no SQLite file made on the side
    assert resolve_profile(tmp_path, database="postgresql://x@y/z").database_url.endswith("/z")
    write_database_url(tmp_path, None)
    assert read_database_url(tmp_path) is None


@pytest.mark.parametrize("text", ["not json", '{"url": ""}', '["postgresql://a@b/c"]', '{"x": 1}'])
def test_an_unreadable_database_file_is_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "database.json").write_text(text)
    with pytest.raises(ValueError, match="does not say where the database is"):
        resolve_profile(tmp_path)
