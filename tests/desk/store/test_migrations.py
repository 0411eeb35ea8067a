"""Frozen migrations: every old schema upgrades to exactly the fresh one, the frozen schema agrees
with the models, rows survive an upgrade, and a file from a newer TextDesk is refused in one
sentence. Real SQLite files throughout; old databases are built from the frozen files alone."""

from __future__ import annotations

import ast
import logging
import sqlite3
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import peewee as pw
import pytest

import desk.store
from desk.base.clock import FakeClock
from desk.data import backup
from desk.store import activity, counters, drafts, migrations, models
from desk.store.db import close_database, open_database
from desk.store.migrations import SCHEMA_VERSION, STEPS, DatabaseError, frozen, runner
from tests.desk.store.schemas import (
    apply_steps,
    build_at,
    declared_by,
    fresh,
    kept,
    model_mismatches,
    rows_of,
    schema,
)

# --- every old version upgrades to the fresh schema -------------------------------------------


@pytest.mark.parametrize("version", [0, *(s.version for s in STEPS)])
def test_a_database_at_every_old_version_upgrades_to_exactly_the_fresh_schema(tmp_path, version):
    old = tmp_path / f"v{version}.sqlite3"
    build_at(old, version)
    assert schema(old)["version"] == version
    open_database(old)
    close_database()
    assert schema(old) == schema(fresh(tmp_path))


def test_the_fresh_schema_holds_the_tables_search_and_queue_index(tmp_path):
    """What the equality above compares is the real schema, not an empty one."""
    got = schema(fresh(tmp_path))
    assert got["version"] == SCHEMA_VERSION == len(STEPS)
    virtual = {n for n, t in got["tables"].items() if t["virtual"]}
    assert virtual == {"message_fts", "contact_fts"}
    assert set(got["triggers"]) == {
        f"{t}_fts_{op}" for t in ("message", "contact") for op in ("ai", "ad", "au")
    }
    queue = got["tables"]["message"]["indexes"]["message_outbox_queue"]
    assert queue["where"] == " WHERE direction = 'out' AND state = 'queued'"
    assert [c[2] for c in queue["columns"] if c[5]] == ["priority", "created_at", "id"]
    columns = {c[1]: c for c in got["tables"]["contact"]["columns"]}
    assert columns["number"][2:4] == ("VARCHAR(255)", 1)
    assert {"reminder", "reminder_run", "appointment", "draft", "note"} <= set(got["tables"])


def test_the_comparison_sees_a_column_an_index_or_a_trigger_that_differs(tmp_path):
    reference = schema(fresh(tmp_path))
    for n, change in enumerate(
        [
            "ALTER TABLE contact ADD COLUMN nickname TEXT",
            "CREATE INDEX contact_name ON contact(name)",
            "DROP TRIGGER message_fts_au",
        ]
    ):
        path = tmp_path / f"changed{n}.sqlite3"
        build_at(path, SCHEMA_VERSION)
        con = sqlite3.connect(path, isolation_level=None)
        con.execute(change)
        con.close()
        assert schema(path) != reference, change


# --- the frozen schema agrees with the models --------------------------------------------------

# Every model of the schema: desk.store.models' and the ones modules beside it add (drafts,
# activity).
SCHEMA_MODELS: list[type[models.BaseModel]] = [
    *models.ALL_MODELS,
    *drafts.MODELS,
    *activity.MODELS,
    *counters.MODELS,
]


def test_every_model_is_listed_in_all_models():
    def subclasses(cls: type[models.BaseModel]) -> set[type[models.BaseModel]]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    assert subclasses(models.BaseModel) == set(SCHEMA_MODELS)


def test_the_frozen_schema_has_every_model_table_and_column_with_compatible_types(tmp_path):
    assert len(declared_by(SCHEMA_MODELS)["tables"]) == len(SCHEMA_MODELS)
    assert model_mismatches(SCHEMA_MODELS, fresh(tmp_path)) == []


def test_schema_4_adds_drafts_that_go_with_their_conversation(tmp_path):
    """The draft table keeps one draft per conversation and loses it when the conversation is
    deleted (as erasing a customer does), on a database upgraded from schema 3."""
    path = tmp_path / "v3.sqlite3"
    build_at(path, 3)
    con = sqlite3.connect(path, isolation_level=None)
    fill_core(con)
    con.close()
    open_database(path)
    try:
        assert drafts.load_draft(1) == ""
        clock = FakeClock(datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
        drafts.save_draft(1, "Your crown is ready", clock=clock)
        drafts.save_draft(1, "Your crown is ready on Friday", clock=clock)
        assert drafts.load_draft(1) == "Your crown is ready on Friday"
        assert drafts.Draft.select().count() == 1
        drafts.save_draft(99, "no such conversation", clock=clock)
        assert drafts.Draft.select().count() == 1
        with pytest.raises(pw.IntegrityError):
            drafts.Draft.insert(conversation=1, body="a second", updated_at=clock.now()).execute()
        models.Conversation.delete().where(models.Conversation.id == 1).execute()
        assert drafts.Draft.select().count() == 0
        drafts.save_draft(1, "typed after the erasure", clock=clock)
        assert drafts.Draft.select().count() == 0
    finally:
        close_database()


def test_schema_5_keeps_why_texts_wait_the_template_order_attention_causes_and_notes(tmp_path):
    """Upgraded from schema 4: templates keep the order they were made in, a flagged
    conversation gets the cause its rows show, held reasons start empty, notes go with their
    conversation."""
    path = tmp_path / "v4.sqlite3"
    build_at(path, 4)
    con = sqlite3.connect(path, isolation_level=None)
    fill_core(con)
    con.executescript(
        """
        INSERT INTO template (name, body) VALUES ('ready', 'Your order is ready.');
        UPDATE message SET state = 'failed' WHERE id = 1;
        UPDATE conversation SET needs_attention = 1 WHERE id = 1;
        INSERT INTO contact (number, notes, tags, opted_out, callback_requested, created_at)
            VALUES ('+12025550188', '', '', 0, 0, '2025-05-01 12:00:00');
        INSERT INTO conversation (contact_id, status, unread, last_activity_at, last_preview,
            needs_attention) VALUES (2, 'open', 0, '2025-05-01 12:00:00', '', 1);
        INSERT INTO consent_event (contact_id, number, kind, method, at)
            VALUES (2, '+12025550188', 'optout_text', 'keyword', '2025-05-01 12:00:00');
        """
    )
    con.close()
    open_database(path)
    try:
        names = [t.name for t in models.Template.select().order_by(models.Template.position)]
        assert names == ["hours", "ready"]
        causes = {c.id: c.attention_list for c in models.Conversation.select()}
        assert causes == {1: [models.ATTENTION_FAILED], 2: [models.ATTENTION_OPTOUT_TEXT]}
        message = models.Message.get_by_id(1)
        assert (message.held_reason, message.held_until) == (None, None)
        at = datetime(2026, 3, 10, 15, 0)
        models.Note.create(conversation=1, body="prefers a call", staff="Anna", created_at=at)
        models.Note.create(conversation=2, body="second customer", created_at=at)
        assert [n.body for n in models.Conversation.get_by_id(1).notes] == ["prefers a call"]
        models.Conversation.delete().where(models.Conversation.id == 1).execute()
        assert [n.body for n in models.Note.select()] == ["second customer"]
    finally:
        close_database()


class Throwaway(pw.Model):
    """A base for models that exist only in a test (not BaseModel: ALL_MODELS must not see them)."""

    class Meta:
        legacy_table_names = False


def test_a_model_change_without_a_migration_is_caught(tmp_path):
    class ContactWithNickname(Throwaway):  # a field added to Contact, and no new step
        number = pw.CharField(unique=True)
        name = pw.CharField(null=True)
        notes = pw.TextField(default="")
        tags = pw.TextField(default="")
        timezone = pw.CharField(null=True)
        opted_out = pw.BooleanField(default=False)
        callback_requested = pw.BooleanField(default=False)
        created_at = pw.DateTimeField()
        nickname = pw.CharField(null=True)

        class Meta:
            table_name = "contact"

    class Untracked(Throwaway):  # a new model, and no new step
        label = pw.CharField(index=True)

    class LooseMessage(Throwaway):  # an index dropped from the models is no problem ...
        body = pw.TextField()

        class Meta:
            table_name = "message"

    path = fresh(tmp_path)
    problems = model_mismatches([ContactWithNickname, Untracked], path)
    assert any(p.startswith("contact columns") and "nickname" in p for p in problems)
    assert "no table untracked" in problems
    # ... but a column the models no longer have is: the schema must follow the models.
    assert any(p.startswith("message columns") for p in model_mismatches([LooseMessage], path))


# --- rows survive, the copy is kept, a failing step leaves the database as it was ---------------


def fill_core(con: sqlite3.Connection) -> None:
    at = "2025-05-01 12:00:00"
    con.executescript(
        f"""
        INSERT INTO contact (number, name, notes, tags, opted_out, callback_requested, created_at)
            VALUES ('+12025550143', 'Zoë Adams', 'mornings', 'vip', 0, 0, '{at}');
        INSERT INTO conversation (contact_id, status, unread, last_activity_at, last_preview,
            needs_attention) VALUES (1, 'open', 1, '{at}', 'hello', 0);
        INSERT INTO message (conversation_id, direction, body, encoding, parts, state, created_at,
            read, source, automated, priority, attempts, parts_sent, flags, masked)
            VALUES (1, 'out', 'hello from 2025', 'gsm7', 1, 'queued', '{at}', 1, 'staff', 0, 0,
                    0, 0, '', 0);
        INSERT INTO message_part (message_id, seq, reference, number, state)
            VALUES (1, 1, 7, '+12025550143', 'sent');
        INSERT INTO delivery_report (reference, number, status, delivered, final, received_at,
            raw, part_id) VALUES (7, '+12025550143', 0, 1, 1, '{at}', '0791', 1);
        INSERT INTO incoming_part (dedupe_key, sender, total, seq, text, encoding, received_at,
            raw) VALUES ('k1', '+12025550143', 2, 1, 'half', 'gsm7', '{at}', '0791');
        INSERT INTO raw_incoming (raw, error, received_at) VALUES ('zz', 'bad pdu', '{at}');
        INSERT INTO template (name, body) VALUES ('hours', 'We open at 9.');
        INSERT INTO consent_event (contact_id, number, kind, method, at)
            VALUES (1, '+12025550143', 'opt_in', 'staff', '{at}');
        INSERT INTO setting (key, value) VALUES ('shop_name', '"Smile Dental"');
        INSERT INTO audit_log (at, action, detail) VALUES ('{at}', 'sent', 'message 1');
        """
    )


def fill_reminders(con: sqlite3.Connection) -> None:
    at = "2025-06-01 09:00:00"
    con.executescript(
        f"""
        INSERT INTO appointment (contact_id, starts_at, service, note, state, created_at)
            VALUES (1, '{at}', 'cleaning', '', 'pending', '{at}');
        INSERT INTO reminder (text, next_at, state, appointment_id, offset_minutes, occurrences,
            created_at) VALUES ('See you soon', '{at}', 'scheduled', 1, 120, 0, '{at}');
        INSERT INTO reminder_recipient (reminder_id, contact_id) VALUES (1, 1);
        INSERT INTO reminder_run (reminder_id, contact_id, due_at, state, message_id, created_at)
            VALUES (1, 1, '{at}', 'queued', 1, '{at}');
        """
    )


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_upgrading_keeps_every_row_and_a_copy_of_the_old_file(tmp_path, version):
    path = tmp_path / "shop.sqlite3"
    build_at(path, version)
    con = sqlite3.connect(path, isolation_level=None)
    fill_core(con)
    if version >= 2:
        fill_reminders(con)
    con.close()
    before = rows_of(path)

    open_database(path)
    try:
        assert models.Contact.get().name == "Zoë Adams"
        assert models.Message.get().body == "hello from 2025"
        hits = models.Message.raw(
            "SELECT message.* FROM message_fts JOIN message ON message.id = message_fts.rowid "
            "WHERE message_fts MATCH 'hello'"
        )
        assert [m.id for m in hits] == [1]
    finally:
        close_database()
    after = rows_of(path)
    assert kept(before, after)
    assert all(before[t] for t in ("contact", "message", "message_fts_data", "setting"))
    assert after["reminder"] == before.get("reminder", [])
    assert schema(path) == schema(fresh(tmp_path))
    (copy,) = tmp_path.glob(f"shop.schema-v{version}.*.bak")
    assert rows_of(copy) == before
    assert schema(copy)["version"] == version


def test_a_step_that_fails_leaves_the_database_at_the_last_whole_step(tmp_path):
    path = tmp_path / "odd.sqlite3"
    build_at(path, 1)
    con = sqlite3.connect(path, isolation_level=None)
    # An index holding the name the last statement of step 2 creates: step 2 fails at its end.
    con.execute('CREATE INDEX "reminder_run_reminder_id_contact_id_due_at" ON contact(name)')
    con.close()
    before = schema(path)
    with pytest.raises(DatabaseError, match="could not be upgraded to schema 2") as info:
        open_database(path)
    close_database()
    assert "left at schema 1" in str(info.value)
    assert "A copy from before the upgrade is at" in str(info.value)
    assert schema(path) == before  # appointment, reminder ... rolled back with it


def test_a_second_process_finding_the_upgrade_done_skips_it(tmp_path, monkeypatch, caplog):
    """Two processes open an old database at once: the one that waits finds each step done."""
    path = tmp_path / "shared.sqlite3"
    build_at(path, 1)
    real_copy = runner._backup_copy

    def copy_then_the_other_process_upgrades(source: Path, version: int) -> Path:
        kept = real_copy(source, version)
        other = sqlite3.connect(path, isolation_level=None)
        apply_steps(other, 1, SCHEMA_VERSION)
        other.close()
        return kept

    monkeypatch.setattr(runner, "_backup_copy", copy_then_the_other_process_upgrades)
    database = open_database(path, migrate=False)
    try:
        with caplog.at_level(logging.INFO, logger=runner.__name__):
            assert migrations.migrate(database, path) == 1
        assert migrations.current_version(database) == SCHEMA_VERSION
    finally:
        close_database()
    assert not [r for r in caplog.records if "migrated database" in r.getMessage()]
    assert schema(path) == schema(fresh(tmp_path))


# --- one refusal sentence for a newer schema ----------------------------------------------------


def test_a_newer_schema_is_refused_in_the_same_words_everywhere(tmp_path):
    newer = SCHEMA_VERSION + 1
    path = tmp_path / "newer.sqlite3"
    build_at(path, SCHEMA_VERSION)
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {newer}")
    con.close()
    before = path.read_bytes()
    sentence = migrations.newer_schema_refusal(newer)
    assert "newer TextDesk" in sentence and "nothing was changed" in sentence

    with pytest.raises(DatabaseError) as opened:
        open_database(path)
    assert str(opened.value) == sentence
    assert path.read_bytes() == before

    with pytest.raises(backup.BackupError) as restored:
        backup.inspect(path)
    assert str(restored.value) == migrations.newer_schema_refusal(newer, subject=str(path))

    current = tmp_path / "current.sqlite3"
    database = open_database(current)  # open, then a newer TextDesk writes it (the CLI path)
    try:
        database.execute_sql(f"PRAGMA user_version = {newer}")
        with pytest.raises(DatabaseError) as migrated:
            migrations.migrate(database, current)
        assert str(migrated.value) == sentence
    finally:
        close_database()


def test_migrate_rejects_a_target_it_does_not_know(tmp_path):
    database = open_database(tmp_path / "t.sqlite3", migrate=False)
    try:
        with pytest.raises(ValueError, match="no schema"):
            migrations.migrate(database, target=SCHEMA_VERSION + 1)
        assert migrations.current_version(database) == 0
    finally:
        close_database()


# --- one folder per dialect (the PostgreSQL twins: tests/desk/store/postgres); imports one way ---


def test_each_dialect_folder_holds_exactly_one_file_per_step():
    assert [s.version for s in STEPS] == list(range(1, len(STEPS) + 1))
    root = resources.files("desk.store.migrations")
    folders = [f for f in root.iterdir() if f.is_dir() and f.name != "__pycache__"]
    assert sorted(f.name for f in folders) == ["postgresql", "sqlite"]
    for folder in folders:
        assert sorted(f.name for f in folder.iterdir()) == [s.filename for s in STEPS], folder
    for step in STEPS:
        assert frozen.statements(step), step.filename
        assert frozen.statements(step, frozen.POSTGRESQL), step.filename


def test_a_database_without_frozen_files_of_its_kind_is_refused_before_connecting():
    other = pw.MySQLDatabase("textdesk")  # never connected: the runner stops first
    with pytest.raises(DatabaseError, match="no migrations for a MySQLDatabase"):
        migrations.migrate(other)
    assert other.is_closed()


def test_fts_sql_is_the_full_text_part_of_schema_1():
    assert len(migrations.FTS_SQL) == 8
    assert sum("message_fts_ai" in s for s in migrations.FTS_SQL) == 1
    assert all(s in frozen.statements(STEPS[0]) for s in migrations.FTS_SQL)


def test_the_splitter_keeps_trigger_bodies_whole_and_refuses_a_cut_script():
    script = "-- a comment; with a semicolon\nCREATE TABLE t(x);\n\nCREATE TRIGGER g AFTER INSERT ON t BEGIN\n  SELECT 1; SELECT 2; END;\n"
    assert frozen.split_sqlite(script) == [
        "CREATE TABLE t(x);",
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN\n  SELECT 1; SELECT 2; END;",
    ]
    with pytest.raises(ValueError, match="ends inside a statement"):
        frozen.split_sqlite("CREATE TABLE t(x")


def test_store_imports_run_models_to_db_to_migrations_with_none_inside_functions():
    store = Path(desk.store.__file__).parent
    files = [store / "db.py", store / "models.py", *sorted((store / "migrations").glob("*.py"))]
    for file in files:
        tree = ast.parse(file.read_text(), str(file))
        top = {id(n) for n in tree.body}
        nested = [
            n.lineno
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in top
        ]
        assert nested == [], f"{file.name}: imports inside functions at lines {nested}"
        desk_imports = {
            n.module
            for n in tree.body
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("desk")
        } | {
            a.name
            for n in tree.body
            if isinstance(n, ast.Import)
            for a in n.names
            if a.name.startswith("desk")
        }
        if file.parent.name == "migrations":
            allowed = {"desk.store.migrations.frozen", "desk.store.migrations.runner"}
            assert desk_imports <= allowed, file.name
        if file.name == "db.py":
            assert desk_imports == {"desk.store", "desk.store.migrations"}
