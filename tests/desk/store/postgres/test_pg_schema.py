"""The frozen PostgreSQL twins on a real server: a database built at every old version and upgraded
has the same schema as a fresh one; the models work on it; the version record, the refusals and
two counters opening an old database at once."""

from __future__ import annotations

import re
import threading
from datetime import datetime

import peewee as pw
import psycopg
import pytest

from desk.store import activity, counters, drafts, migrations, models
from desk.store.db import close_database, open_server_database, server_params
from desk.store.migrations import SCHEMA_VERSION, STEPS, DatabaseError, frozen

SCHEMA_MODELS = [*models.ALL_MODELS, *drafts.MODELS, *activity.MODELS, *counters.MODELS]
NOW = datetime(2026, 12, 1, 12, 0)


def schema(url: str) -> dict[str, object]:
    """Tables with their columns (type, null, default), indexes, triggers and functions."""
    with psycopg.connect(url) as con:
        columns = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, column_name"
        ).fetchall()
        indexes = con.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
        triggers = con.execute(
            "SELECT trigger_name, event_manipulation, event_object_table, action_statement "
            "FROM information_schema.triggers ORDER BY 1, 2"
        ).fetchall()
        functions = con.execute(
            "SELECT proname, prosrc FROM pg_proc JOIN pg_namespace n ON n.oid = pronamespace "
            "WHERE nspname = 'public' ORDER BY 1"
        ).fetchall()
        constraints = con.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        ).fetchall()
        version = con.execute("SELECT version FROM textdesk_schema").fetchall()
    return {
        "columns": columns,
        "indexes": indexes,
        "triggers": triggers,
        "functions": functions,
        "constraints": constraints,
        "version": version,
    }


def test_a_fresh_database_is_at_the_newest_schema_and_the_models_work_on_it(pg_url: str):
    database = open_server_database(pg_url)
    assert migrations.current_version(database) == SCHEMA_VERSION
    contact = models.Contact.create(number="+12025550143", name="Jürgen Müller", created_at=NOW)
    conv = models.Conversation.create(contact=contact, last_activity_at=NOW)
    msg = models.Message.create(
        conversation=conv, direction=models.IN, body="Café tomorrow at 10?", state="received",
        created_at=NOW, read=False,
    )  # fmt: skip
    assert models.Message.get_by_id(msg.id).read is False
    hits = database.execute_sql(
        "SELECT message_id FROM message_search WHERE doc @@ to_tsquery('simple', 'cafe')"
    ).fetchall()
    assert hits == [(msg.id,)]
    people = database.execute_sql(
        "SELECT contact_id FROM contact_search WHERE doc @@ to_tsquery('simple', 'muller')"
    ).fetchall()
    assert people == [(contact.id,)]
    contact.delete_instance(recursive=False)  # ON DELETE CASCADE, as erasure relies on
    for table in ("message", "message_search", "contact_search", "conversation"):
        (count,) = database.execute_sql(f"SELECT count(*) FROM {table}").fetchone()
        assert count == 0, table


def test_every_model_table_and_column_is_in_the_frozen_schema(pg_url: str):
    database = open_server_database(pg_url)
    tables = set(database.get_tables())
    for model in SCHEMA_MODELS:
        name = model._meta.table_name
        assert name in tables, name
        have = {c.name for c in database.get_columns(name)}
        want = {f.column_name for f in model._meta.sorted_fields}
        assert want == have, name


@pytest.mark.parametrize("start", range(1, SCHEMA_VERSION))
def test_upgraded_from_every_old_version_equals_fresh(pg_server, start: int):
    fresh_url, old_url = pg_server.fresh_database(), pg_server.fresh_database()
    open_server_database(fresh_url)
    close_database()
    database = open_server_database(old_url, migrate=False)
    migrations.migrate(database, target=start)
    assert migrations.current_version(database) == start
    migrations.migrate(database)
    close_database()
    assert schema(old_url) == schema(fresh_url)


def test_a_database_from_a_newer_textdesk_is_refused(pg_url: str):
    open_server_database(pg_url)
    close_database()
    with psycopg.connect(pg_url) as con:
        con.execute(f"UPDATE textdesk_schema SET version = {SCHEMA_VERSION + 1}")
    with pytest.raises(DatabaseError, match="newer TextDesk"):
        open_server_database(pg_url)


def test_two_counters_opening_an_old_database_at_once_take_turns(pg_server):
    url = pg_server.fresh_database()
    errors: list[BaseException] = []

    def counter() -> None:
        database = pw.PostgresqlDatabase(None, prefer_psycopg3=True)
        params = server_params(url)
        database.init(params.pop("database"), prefer_psycopg3=True, **params)
        try:
            database.connect()
            migrations.migrate(database)
        except BaseException as exc:  # pragma: no cover - the failure is the assertion below
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=counter) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with psycopg.connect(url) as con:
        assert con.execute("SELECT version FROM textdesk_schema").fetchall() == [(SCHEMA_VERSION,)]


def test_addresses_are_checked_and_never_carry_a_password():
    p = server_params("postgresql://desk@shop-server:5433/textdesk?sslmode=verify-full")
    assert p == {"database": "textdesk", "host": "shop-server", "port": 5433, "user": "desk",
                 "connect_timeout": 10, "sslmode": "verify-full"}  # fmt: skip
    with pytest.raises(DatabaseError, match="holds a password"):
        server_params("postgresql://desk:secret@shop-server/textdesk")
    with pytest.raises(DatabaseError, match="is not a PostgreSQL address"):
        server_params("mysql://shop/textdesk")
    with pytest.raises(DatabaseError, match="names no server or database"):
        server_params("postgresql://shop-server/")


def test_an_unreachable_server_is_one_plain_sentence():
    with pytest.raises(
        DatabaseError, match=re.escape("Cannot reach the shop's database at 127.0.0.1:9")
    ):
        open_server_database("postgresql://desk@127.0.0.1:9/textdesk?connect_timeout=2")


def test_the_postgresql_splitter_keeps_function_bodies_whole():
    sql = frozen.split_postgresql(
        "-- c\nCREATE TABLE a (x int);\nCREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql "
        "AS $$\nBEGIN\n  RETURN NULL;\nEND $$;\nCREATE INDEX i ON a (x);\n"
    )
    assert len(sql) == 3 and sql[1].endswith("END $$;")
    with pytest.raises(ValueError, match="ends inside a statement"):
        frozen.split_postgresql("CREATE FUNCTION f() AS $$\nBEGIN;\n")
    assert all(frozen.statements(step, frozen.POSTGRESQL) for step in STEPS)
