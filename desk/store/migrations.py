"""Forward-only schema migrations, run at start-up. ``PRAGMA user_version`` holds the version.

Before migrating an existing database a copy of it is taken next to it, so an upgrade can never
lose the shop's data. A database written by a newer TextDesk is refused, not damaged.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import peewee as pw

from desk.store.db import DatabaseError

log = logging.getLogger(__name__)

FTS_SQL = [
    # Message bodies, kept in sync by triggers (external-content FTS5).
    """CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(
        body, content='message', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS message_fts_ai AFTER INSERT ON message BEGIN
        INSERT INTO message_fts(rowid, body) VALUES (new.id, new.body); END""",
    """CREATE TRIGGER IF NOT EXISTS message_fts_ad AFTER DELETE ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, body) VALUES ('delete', old.id, old.body); END""",
    """CREATE TRIGGER IF NOT EXISTS message_fts_au AFTER UPDATE OF body ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO message_fts(rowid, body) VALUES (new.id, new.body); END""",
    # Contact names, numbers, notes and tags.
    """CREATE VIRTUAL TABLE IF NOT EXISTS contact_fts USING fts5(
        name, number, notes, tags, content='contact', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS contact_fts_ai AFTER INSERT ON contact BEGIN
        INSERT INTO contact_fts(rowid, name, number, notes, tags)
        VALUES (new.id, new.name, new.number, new.notes, new.tags); END""",
    """CREATE TRIGGER IF NOT EXISTS contact_fts_ad AFTER DELETE ON contact BEGIN
        INSERT INTO contact_fts(contact_fts, rowid, name, number, notes, tags)
        VALUES ('delete', old.id, old.name, old.number, old.notes, old.tags); END""",
    """CREATE TRIGGER IF NOT EXISTS contact_fts_au AFTER UPDATE ON contact BEGIN
        INSERT INTO contact_fts(contact_fts, rowid, name, number, notes, tags)
        VALUES ('delete', old.id, old.name, old.number, old.notes, old.tags);
        INSERT INTO contact_fts(rowid, name, number, notes, tags)
        VALUES (new.id, new.name, new.number, new.notes, new.tags); END""",
]


def _v1_core(database: pw.SqliteDatabase) -> None:
    from desk.store import models as m

    database.create_tables(
        [
            m.Contact,
            m.Conversation,
            m.Message,
            m.MessagePart,
            m.IncomingPart,
            m.DeliveryReport,
            m.RawIncoming,
            m.Template,
            m.ConsentEvent,
            m.Setting,
            m.AuditLog,
        ]
    )
    for sql in FTS_SQL:
        database.execute_sql(sql)


def _v2_reminders(database: pw.SqliteDatabase) -> None:
    from desk.store import models as m

    database.create_tables([m.Appointment, m.Reminder, m.ReminderRecipient, m.ReminderRun])


def _v3_outbox_index(database: pw.SqliteDatabase) -> None:
    # take_jobs reads the next queued messages in (priority, created_at, id) order; a partial
    # index over just the queue keeps that cost flat however much history the shop has.
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS message_outbox_queue ON message(priority, created_at, id) "
        "WHERE direction = 'out' AND state = 'queued'"
    )
    database.execute_sql("ANALYZE")  # statistics, so the planner knows to use it


MIGRATIONS: list[tuple[int, str, Callable[[pw.SqliteDatabase], None]]] = [
    (1, "core tables and full-text search", _v1_core),
    (2, "reminders and appointments", _v2_reminders),
    (3, "index for the outgoing queue", _v3_outbox_index),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def current_version(database: pw.SqliteDatabase) -> int:
    return int(database.execute_sql("PRAGMA user_version").fetchone()[0])


def _backup_copy(path: Path, version: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.schema-v{version}.{stamp}.bak")
    src = sqlite3.connect(str(path))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    target.chmod(0o600)
    return target


def migrate(
    database: pw.SqliteDatabase, path: Path | None = None, *, target: int = SCHEMA_VERSION
) -> int:
    """Bring the schema to ``target``; returns the version found before."""
    found = current_version(database)
    if found > SCHEMA_VERSION:
        raise DatabaseError(
            f"This database was written by a newer TextDesk (schema {found}, this version knows "
            f"up to {SCHEMA_VERSION}). Install the newer version again; nothing was changed."
        )
    if found >= target:
        return found
    if found > 0 and path is not None and path.exists():
        copy = _backup_copy(path, found)
        log.info("database schema %d -> %d; copy kept at %s", found, target, copy)
    for version, what, step in MIGRATIONS:
        if found < version <= target:
            with database.atomic():
                step(database)
                database.execute_sql(f"PRAGMA user_version = {version}")
            log.info("migrated database to schema %d (%s)", version, what)
    return found
