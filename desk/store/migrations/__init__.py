"""Forward-only schema migrations from frozen SQL files, run when a database is opened.

Each schema version is DDL written down once, never built from the live peewee models (a model
that gains a column would otherwise make fresh and upgraded databases differ)::

    desk/store/migrations/
        frozen.py     STEPS (version, file name, log line), reading and splitting the files
        runner.py     migrate(), the copy kept before an upgrade, refusing newer or foreign files
        sqlite/       0001_core.sql  0002_reminders.sql  0003_outgoing_queue_index.sql

A new schema version is one more ``Step`` in ``frozen.STEPS`` and one more file per dialect
folder; released files are never edited. tests/desk/store/test_migrations.py builds a database
at every old version from these files alone, upgrades it and requires its schema to equal a
fresh one, and checks the newest schema against what the models declare.

The folders are per dialect so that a PostgreSQL twin can sit beside each SQLite file later
(``postgresql/0001_core.sql`` ... with the same numbers and names; the tests require every
dialect folder to hold exactly the files ``STEPS`` names). The runner picks the folder from the
database's kind (``runner.dialect_of``); PostgreSQL then needs the folder, a statement splitter
in ``frozen.statements`` and a version record in ``runner.current_version`` (PostgreSQL has no
``user_version``: a one-row table written in each step's transaction). None of these files
exist yet: this version runs on SQLite only and says so for any other database.

The .sql files are package data: pyproject.toml's ``[tool.setuptools.package-data]`` and the
PyInstaller spec's ``datas`` carry them into wheels and bundles.
"""

from desk.store.migrations.frozen import FTS_SQL, SCHEMA_VERSION, STEPS, Step
from desk.store.migrations.runner import (
    DatabaseError,
    check_file,
    current_version,
    dialect_of,
    migrate,
    newer_schema_refusal,
)

__all__ = [
    "FTS_SQL",
    "SCHEMA_VERSION",
    "STEPS",
    "DatabaseError",
    "Step",
    "check_file",
    "current_version",
    "dialect_of",
    "migrate",
    "newer_schema_refusal",
]
