"""Forward-only schema migrations from frozen SQL files, run when a database is opened.

Each schema version is DDL written down once, never built from the live peewee models (a model
that gains a column would otherwise make fresh and upgraded databases differ)::

    desk/store/migrations/
        frozen.py     STEPS (version, file name, log line), reading and splitting the files
        runner.py     migrate(), the copy kept before an upgrade, refusing newer or foreign files
        sqlite/       0001_core.sql  0002_reminders.sql  ...  (one file per schema version)
        postgresql/   the same files for PostgreSQL

A new schema version is one more ``Step`` in ``frozen.STEPS`` and one more file per dialect
folder; released files are never edited. tests/desk/store/test_migrations.py builds a database
at every old version from these files alone, upgrades it and requires its schema to equal a
fresh one, and checks the newest schema against what the models declare.

The folders are per dialect: ``sqlite/`` for one PC, ``postgresql/`` for the shop's server
(several counters, one inbox), with the same numbers and names; the tests require every dialect
folder to hold exactly the files ``STEPS`` names, and tests/desk/store/postgres runs the twins on
a real PostgreSQL server. The runner picks the folder from the database's kind
(``runner.dialect_of``). PostgreSQL has no ``user_version``: the version is a one-row table
(``textdesk_schema``) written in each step's transaction, under an advisory lock so that two
counters opening an old database at once take the steps in turn.

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
