"""The due-outgoing query, written once for both engines (issue 12): which queued outgoing texts
may go now, in send order (priority, created_at, id), as plain parameterised SQL.

``desk.messaging.send_queue`` asks it on a single PC (SQLite, one writer under BEGIN IMMEDIATE)
and ``desk.store.fencing.claim_outgoing`` on a shop's PostgreSQL server (fenced by the modem
owner's generation, rows locked FOR UPDATE SKIP LOCKED): the WHERE and ORDER are built here only,
so the two engines cannot drift. The SQL is written by hand (``?`` placeholders; the server
database turns them into psycopg's ``%s``) because building it through peewee's query builder
cost more than running it, on the core thread, several times a second. Rows come back as
Message models with their conversation and contact, as a joined peewee select gives them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

import peewee as pw

from desk.base.clock import to_db
from desk.store.db import db
from desk.store.models import OUT, QUEUED, Contact, Conversation, Message

__all__ = ["SendOrder", "due_outgoing", "due_sql", "insert_model"]

SendOrder = tuple[int, object, int]  # (priority, created_at as stored, id)

M = TypeVar("M", bound=pw.Model)


def _columns(model: type[pw.Model], alias: str) -> tuple[list[pw.Field], str]:
    fields = list(model._meta.sorted_fields)
    return fields, ", ".join(f"{alias}.{f.column_name}" for f in fields)


_MESSAGE_FIELDS, _MESSAGE_COLS = _columns(Message, "m")
_CONVERSATION_FIELDS, _CONVERSATION_COLS = _columns(Conversation, "v")
_CONTACT_FIELDS, _CONTACT_COLS = _columns(Contact, "c")

_SELECT = (
    f"SELECT {_MESSAGE_COLS}, {_CONVERSATION_COLS}, {_CONTACT_COLS} "
    "FROM message AS m "
    "JOIN conversation AS v ON v.id = m.conversation_id "
    "JOIN contact AS c ON c.id = v.contact_id "
)


def due_sql(
    now: datetime,
    *,
    limit: int,
    after: SendOrder | None = None,
    staff_only: bool = False,
    generation: int | None = None,
    lock: bool = False,
) -> tuple[str, list[object]]:
    """The SQL and parameters: queued outgoing texts due at ``now`` (no retry wait or hold
    left), staff's only when ``staff_only``, not claimed by a newer owner than ``generation``
    when one is given, after ``after`` in send order, at most ``limit``; ``lock``: FOR UPDATE
    OF the message rows, SKIP LOCKED (PostgreSQL)."""
    now_db = to_db(now)
    where = [
        "m.direction = ?",
        "m.state = ?",
        "(m.next_attempt_at IS NULL OR m.next_attempt_at <= ?)",
        "(m.not_before IS NULL OR m.not_before <= ?)",
    ]
    params: list[object] = [OUT, QUEUED, now_db, now_db]
    if generation is not None:
        where.append("(m.owner_generation IS NULL OR m.owner_generation <= ?)")
        params.append(generation)
    if staff_only:
        where.append("m.automated = ?")
        params.append(False)
    if after is not None:
        where.append("(m.priority, m.created_at, m.id) > (?, ?, ?)")
        params.extend(after)
    sql = (
        _SELECT
        + "WHERE "
        + " AND ".join(where)
        + " ORDER BY m.priority, m.created_at, m.id LIMIT ?"
        + (" FOR UPDATE OF m SKIP LOCKED" if lock else "")
    )
    params.append(int(limit))
    return sql, params


def _load(model: type[M], fields: list[pw.Field], values: tuple[Any, ...]) -> M:
    """A model as peewee's cursor wrapper makes it: stored values converted, nothing dirty."""
    obj = cast("Any", model)(__no_default__=1)
    data = obj.__data__
    for field, value in zip(fields, values, strict=True):
        data[field.name] = None if value is None else field.python_value(value)  # type: ignore[no-untyped-call]
    obj._dirty.clear()
    return cast("M", obj)


def due_outgoing(
    now: datetime,
    *,
    limit: int,
    after: SendOrder | None = None,
    staff_only: bool = False,
    generation: int | None = None,
    lock: bool = False,
) -> list[Message]:
    """``due_sql`` run: the Message rows, each with its conversation and contact loaded."""
    sql, params = due_sql(
        now, limit=limit, after=after, staff_only=staff_only, generation=generation, lock=lock
    )
    n_message, n_conversation = len(_MESSAGE_FIELDS), len(_CONVERSATION_FIELDS)
    out: list[Message] = []
    for row in db.execute_sql(sql, params).fetchall():
        message = _load(Message, _MESSAGE_FIELDS, row[:n_message])
        conversation = _load(
            Conversation, _CONVERSATION_FIELDS, row[n_message : n_message + n_conversation]
        )
        contact = _load(Contact, _CONTACT_FIELDS, row[n_message + n_conversation :])
        conversation.__rel__["contact"] = contact
        message.__rel__["conversation"] = conversation
        out.append(message)
    return out


_INSERT_SQL: dict[tuple[str, tuple[str, ...]], str] = {}


def insert_model(row: pw.Model) -> int:
    """INSERT an unsaved model ``row`` (the fields set on it, defaults included, each in its
    stored form, as peewee's save writes them) in one plain statement and return the new id, set on
    ``row`` too, nothing dirty. The statement's text is kept per table and column set: building
    it through peewee cost more than running it."""
    meta = cast("Any", row)._meta
    data = cast("Any", row).__data__
    fields = [f for f in meta.sorted_fields if f.name != "id" and f.name in data]
    names = tuple(f.column_name for f in fields)
    key = (meta.table_name, names)
    sql = _INSERT_SQL.get(key)
    if sql is None:
        marks = ", ".join("?" for _ in names)
        sql = _INSERT_SQL[key] = (
            f"INSERT INTO {meta.table_name} ({', '.join(names)}) VALUES ({marks}) RETURNING id"
        )
    values = [f.db_value(data.get(f.name)) for f in fields]
    new_id = int(db.execute_sql(sql, values).fetchone()[0])
    data["id"] = new_id
    cast("Any", row)._dirty.clear()
    return new_id
