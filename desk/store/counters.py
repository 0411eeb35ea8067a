"""Several counters on one database (issue 15): the shop's staff and who drives the modem.

Schema 7 (migrations/sqlite/0007_counters.sql and its PostgreSQL twin). ``Staff`` is one row per
person who signs in at a counter: when they were last seen, at which counter, which conversation
they are replying in ("Anna is replying…" on the other counters). ``ModemOwner`` is one row: the
generation of the counter that drives the modem, raised by one each time a counter wins the
modem (desk.engine.owner), so a claim or a mark written by an owner that lost the modem is
refused (desk.store.fencing). ``Conversation.assigned_to`` (a staff name) and
``Message.owner_generation`` (the generation that claimed an outgoing text) are in
desk.store.models.
"""

from __future__ import annotations

import peewee as pw

from desk.store.models import BaseModel, Conversation

__all__ = ["MODELS", "OWNER_ROW", "ModemOwner", "Staff"]

OWNER_ROW = 1  # the id of ModemOwner's one row (the migration inserts it)


class Staff(BaseModel):
    """A person on the shop's staff, and where they are now."""

    id = pw.AutoField()
    name = pw.CharField(unique=True)
    counter = pw.CharField(null=True)  # the PC they are signed in at (None: signed out)
    last_seen_at = pw.DateTimeField(null=True)  # UTC; presence: seen within the last minute
    replying_to = pw.ForeignKeyField(Conversation, null=True, on_delete="SET NULL")
    replying_to_id: int | None  # the conversation they are typing a reply in
    pin_hash = pw.TextField(null=True)  # optional PIN, salted hash (never the PIN itself)


class ModemOwner(BaseModel):
    """The one row saying which generation of modem owner is current (the fencing token)."""

    id = pw.AutoField()
    generation = pw.IntegerField(default=0)
    counter = pw.CharField(null=True)  # the PC that won it last
    since = pw.DateTimeField(null=True)  # UTC, when it won


# The models this module adds to the schema (desk.store.models.ALL_MODELS holds the others).
MODELS: list[type[BaseModel]] = [Staff, ModemOwner]
