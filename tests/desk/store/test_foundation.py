"""Profile paths, phone numbers, settings, quiet hours and migrations (the core's foundation)."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from desk.base import phones, quiet_hours
from desk.base.paths import resolve_profile
from desk.store import migrations
from desk.store.db import close_database, open_database
from desk.store.migrations import DatabaseError
from desk.store.models import Contact
from desk.store.settings import SettingError, Settings


@pytest.fixture
def db_file(tmp_path):
    path = tmp_path / "db.sqlite3"
    database = open_database(path)
    yield path
    database.close()
    close_database()


def test_profile_override_puts_everything_under_one_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("TEXTDESK_PROFILE", raising=False)
    profile = resolve_profile(tmp_path / "p").ensure()
    for path in (profile.db_path, profile.log_path, profile.lock_path, profile.backup_dir):
        assert str(path).startswith(str(tmp_path / "p"))
    assert profile.is_custom
    monkeypatch.setenv("TEXTDESK_PROFILE", str(tmp_path / "env"))
    assert resolve_profile().data_dir == tmp_path / "env"


def test_default_profile_uses_platform_dirs(monkeypatch):
    monkeypatch.delenv("TEXTDESK_PROFILE", raising=False)
    profile = resolve_profile()
    assert "TextDesk" in str(profile.data_dir)
    assert not profile.is_custom


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("(202) 555-0143", "US", "+12025550143"),
        ("202.555.0143", "US", "+12025550143"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
    ],
)
def test_normalize_numbers(raw, country, expected):
    assert phones.normalize(raw, country) == expected


@pytest.mark.parametrize("raw", ["", "12", "hello", "+1 555", "202-555-01434444444444"])
def test_bad_numbers_get_a_reason(raw):
    with pytest.raises(phones.InvalidNumber) as info:
        phones.normalize(raw, "US")
    assert str(info.value)


def test_alphanumeric_sender_kept_only_when_allowed():
    assert phones.normalize("MyBank", allow_alphanumeric=True) == "MyBank"
    with pytest.raises(phones.InvalidNumber, match="letters"):
        phones.normalize("MyBank")


def test_display_is_national_at_home_international_abroad():
    assert phones.display("+12025550143", "US") == "(202) 555-0143"
    assert phones.display("+442079460958", "US").startswith("+44")
    assert phones.display("MyBank") == "MyBank"


def test_database_is_private_wal_full_sync_with_foreign_keys(db_file):
    mode = stat.S_IMODE(os.stat(db_file).st_mode)
    assert mode == 0o600
    con = sqlite3.connect(db_file)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    from desk.store.db import db

    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert migrations.current_version(db.obj) == migrations.SCHEMA_VERSION


def test_fts_follows_contact_changes(db_file):
    now = datetime(2026, 1, 1)
    c = Contact.create(
        number="+12025550143", name="Zoë Adams", notes="prefers mornings", created_at=now
    )
    from desk.store.db import db

    def hits(q):
        return db.execute_sql(
            "SELECT rowid FROM contact_fts WHERE contact_fts MATCH ?", (q,)
        ).fetchall()

    assert hits("zoe") == [(c.id,)]  # diacritics removed
    c.name = "Zoë Baker"
    c.save()
    assert hits("adams") == []
    assert hits("baker") == [(c.id,)]


def test_migration_from_old_schema_keeps_data_and_a_copy(tmp_path):
    path = tmp_path / "old.sqlite3"
    database = open_database(path, migrate=False)
    migrations.migrate(database, path, target=1)
    Contact.create(number="+12025550143", name="Kept", created_at=datetime(2026, 1, 1))
    database.close()
    database = open_database(path)
    assert migrations.current_version(database) == migrations.SCHEMA_VERSION
    assert Contact.get().name == "Kept"
    copies = list(tmp_path.glob("old.schema-v1.*.bak"))
    assert len(copies) == 1
    con = sqlite3.connect(copies[0])
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert con.execute("SELECT name FROM contact").fetchall() == [("Kept",)]
    con.close()
    database.close()


def test_newer_database_is_refused_untouched(tmp_path):
    path = tmp_path / "new.sqlite3"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 5}")
    con.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="newer TextDesk"):
        open_database(path)
    assert path.read_bytes() == before
    close_database()


def test_settings_parse_validate_and_persist(db_file):
    s = Settings()
    assert s.get("rate_per_minute") == 6
    assert s.set_text("quiet_hours", "9:00-20:30") == "09:00-20:30"
    assert s.set_text("reminder_offsets", "2h,48h,30m") == [2880, 120, 30]
    assert s.set_text("notifications", "off") is False
    s.set_text("modem_pin", "1234")
    assert s.display("modem_pin") == "****"
    assert Settings().get("quiet_hours") == "09:00-20:30"
    for key, value, words in [
        ("rate_per_minute", "lots", "whole number"),
        ("rate_per_minute", "0", "between"),
        ("default_country", "XX", "country code"),
        ("timezone", "Mars/Olympus", "time zone"),
        ("quiet_hours", "late", "08:00-21:00"),
        ("nonsense", "1", "unknown setting"),
    ]:
        with pytest.raises(SettingError, match=words):
            s.set_text(key, value)
    assert s.get("rate_per_minute") == 6


NY = ZoneInfo("America/New_York")
WINDOW = (time(8), time(21))


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 6, 1, 16, 0, tzinfo=UTC), datetime(2026, 6, 1, 16, 0, tzinfo=UTC)),
        # 23:30 local -> 08:00 next morning (EDT = UTC-4)
        (datetime(2026, 6, 2, 3, 30, tzinfo=UTC), datetime(2026, 6, 2, 12, 0, tzinfo=UTC)),
        # exactly 21:00 local is already quiet
        (datetime(2026, 6, 2, 1, 0, tzinfo=UTC), datetime(2026, 6, 2, 12, 0, tzinfo=UTC)),
        # across the March DST change: 08:00 EDT the morning after the switch
        (datetime(2026, 3, 8, 3, 0, tzinfo=UTC), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_next_allowed(when, expected):
    assert quiet_hours.next_allowed(when, NY, WINDOW) == expected


def test_quiet_hours_window_inside_a_dst_gap_opens_after_the_gap():
    window = quiet_hours.parse_window("02:30-21:00")
    got = quiet_hours.next_allowed(datetime(2026, 3, 8, 6, 0, tzinfo=UTC), NY, window)
    assert got == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT, the first real minute


def test_quiet_hours_wrapping_window_and_off():
    night = quiet_hours.parse_window("22:00-06:00")
    london = ZoneInfo("Europe/London")
    assert quiet_hours.is_allowed(datetime(2026, 1, 1, 23, tzinfo=UTC), london, night)
    assert not quiet_hours.is_allowed(datetime(2026, 1, 1, 12, tzinfo=UTC), london, night)
    assert quiet_hours.parse_window("off") is None
    noon = datetime(2026, 1, 1, 3, tzinfo=UTC)
    assert quiet_hours.next_allowed(noon, london, None) == noon


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_text("this is a shopping list, not a database\n" * 20)
    with pytest.raises(DatabaseError, match="not a TextDesk database"):
        open_database(path)
    assert path.read_text().startswith("this is a shopping list")
    close_database()


def test_upgrading_a_shop_with_history_reads_the_queue_through_its_own_index(tmp_path):
    from desk.store.models import Message

    path = tmp_path / "shop.sqlite3"
    database = open_database(path, migrate=False)
    migrations.migrate(database, path, target=2)
    now = datetime(2026, 1, 1)
    # Rows in schema 2's columns (today's models have columns a schema 2 file lacks).
    database.execute_sql(
        "INSERT INTO contact (number, notes, tags, opted_out, callback_requested, created_at) "
        "VALUES ('+12025550143', '', '', 0, 0, ?)",
        (now,),
    )
    database.execute_sql(
        "INSERT INTO conversation (contact_id, status, unread, last_activity_at, last_preview, "
        "needs_attention) VALUES (1, 'open', 0, ?, '', 0)",
        (now,),
    )
    rows = [
        dict(
            conversation_id=1,
            direction="out",
            body="x",
            created_at=now,
            priority=i % 2 * 10,
            state="queued" if i % 100 == 0 else "delivered",
        )
        for i in range(5000)
    ]
    with database.atomic():
        Message.insert_many(rows).execute()
    database.close()
    database = open_database(path)  # runs migration 3
    plan = database.execute_sql(
        "EXPLAIN QUERY PLAN SELECT id FROM message WHERE direction = 'out' AND state = 'queued' "
        "ORDER BY priority, created_at, id LIMIT 50"
    ).fetchall()
    assert any("message_outbox_queue" in row[-1] for row in plan), plan
    database.close()
    close_database()
