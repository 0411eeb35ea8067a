"""The frozen schema files: one SQL file per schema version and dialect, read as package data.

``STEPS`` lists the schema versions in order; the DDL of step N for a dialect is the file
``<dialect>/<NNNN>_<name>.sql`` inside this package (``sqlite/0001_core.sql``). The files are read
with importlib.resources, so they are found the same way in a source tree, an installed wheel
and a PyInstaller bundle; a file missing from a build raises FileNotFoundError the first time
the package is imported instead of leaving a database half made.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

PACKAGE = "desk.store.migrations"
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
DIALECTS = (SQLITE, POSTGRESQL)


@dataclass(frozen=True)
class Step:
    """One schema version: its number, the name in its file name, and a line for the log."""

    version: int
    name: str
    summary: str

    @property
    def filename(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


STEPS: tuple[Step, ...] = (
    Step(1, "core", "core tables and full-text search"),
    Step(2, "reminders", "reminders and appointments"),
    Step(3, "outgoing_queue_index", "index for the outgoing queue"),
    Step(4, "drafts", "reply drafts, one per conversation"),
    Step(5, "counter", "held reasons, attention causes, template order, internal notes"),
    Step(6, "activity", "calls, conversations opened and done, keyword answers"),
    Step(7, "counters", "staff, assignment, the modem owner's fencing token"),
)
SCHEMA_VERSION = STEPS[-1].version


def read_sql(step: Step, dialect: str = SQLITE) -> str:
    """The text of ``step``'s file for ``dialect``."""
    return (resources.files(PACKAGE) / dialect / step.filename).read_text(encoding="utf-8")


def split_sqlite(script: str) -> list[str]:
    """The statements of an SQLite script, one string each, in order.

    Each statement is executed on its own (the sqlite3 module runs one statement per call, and
    ``executescript`` would commit the migration's transaction). A statement ends where SQLite's
    own tokenizer says it is complete, so the semicolons inside a trigger's BEGIN ... END stay in
    it. Comment lines between statements are left out; a script that ends inside a statement
    raises ValueError."""
    statements: list[str] = []
    pending: list[str] = []
    for line in script.splitlines(keepends=True):
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending.append(line)
        text = "".join(pending)
        if sqlite3.complete_statement(text):
            statements.append(text.strip())
            pending = []
    if pending:
        raise ValueError(f"the script ends inside a statement: {''.join(pending).strip()[:80]!r}")
    return statements


def split_postgresql(script: str) -> list[str]:
    """The statements of a PostgreSQL script, one string each, in order.

    A statement ends with a semicolon at the end of a line outside a dollar-quoted body, so a
    function's ``$$ ... $$`` stays whole. Comment lines between statements are left out; a
    script that ends inside a statement or a body raises ValueError."""
    statements: list[str] = []
    pending: list[str] = []
    in_body = False
    for line in script.splitlines(keepends=True):
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending.append(line)
        if line.count("$$") % 2:
            in_body = not in_body
        if not in_body and line.rstrip().endswith(";"):
            statements.append("".join(pending).strip())
            pending = []
    if pending or in_body:
        raise ValueError(f"the script ends inside a statement: {''.join(pending).strip()[:80]!r}")
    return statements


def statements(step: Step, dialect: str = SQLITE) -> list[str]:
    """The statements that bring a database of ``dialect`` from ``step.version - 1`` to it."""
    if dialect == SQLITE:
        return split_sqlite(read_sql(step, dialect))
    if dialect == POSTGRESQL:
        return split_postgresql(read_sql(step, dialect))
    raise ValueError(f"no statement splitter for the {dialect} dialect")


_FTS_TABLE = re.compile(r"CREATE VIRTUAL TABLE (\w+) USING fts5\b", re.IGNORECASE)
_TRIGGER = re.compile(r"CREATE TRIGGER (\w+)", re.IGNORECASE)


def fts_statements(sql: list[str]) -> list[str]:
    """Of ``sql``, the statements creating FTS5 tables and the triggers named after them."""
    tables = [m.group(1) for s in sql if (m := _FTS_TABLE.match(s))]
    found: list[str] = []
    for s in sql:
        trigger = _TRIGGER.match(s)
        if _FTS_TABLE.match(s) or (
            trigger and any(trigger.group(1).startswith(t + "_") for t in tables)
        ):
            found.append(s)
    return found


# Full-text search as schema 1 built it (tools that bulk-load rows drop a trigger and recreate it
# from here, e.g. bench/bigdb.py).
FTS_SQL: list[str] = fts_statements(statements(STEPS[0]))
