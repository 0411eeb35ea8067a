"""The window's start-up on a profile whose database is the shop's server: ui.session opens the
server (not a SQLite file), and the demo shop can be written there."""

from __future__ import annotations

from pathlib import Path

import psycopg

from desk.base.paths import resolve_profile, write_database_url
from ui import session


def test_prepare_database_opens_the_server_the_profile_names(tmp_path: Path, pg_url: str) -> None:
    write_database_url(tmp_path, pg_url)
    profile = resolve_profile(tmp_path).ensure()
    session.prepare_database(profile, demo=True, first_settings={"shop_name": "Smile Dental"})
    assert not profile.db_path.exists()
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT count(*) FROM message").fetchone()[0] > 20
        (value,) = con.execute("SELECT value FROM setting WHERE key = 'shop_name'").fetchone()
        assert "Smile Dental" in value
