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

from datetime import datetime, timedelta

import peewee as pw

from desk.base.clock import to_db, utc
from desk.store.models import BaseModel, Conversation

__all__ = [
    "MODELS",
    "OWNER_ROW",
    "PRESENT_FOR",
    "REPLYING_FOR",
    "ModemOwner",
    "Staff",
    "assign",
    "present",
    "replying_in",
    "replying_until",
    "seen",
    "signed_out",
]

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


# --- presence and assignment (each in the caller's transaction, on the engine's core thread) ---

PRESENT_FOR = timedelta(seconds=60)  # seen this recently: at a counter now
REPLYING_FOR = timedelta(seconds=15)  # typed this recently: "Anna is replying…"


def seen(name: str, counter: str, now: datetime, *, replying_to: int | None = None) -> None:
    """``name`` is at ``counter`` now (signed in, or still there), typing a reply in the
    conversation ``replying_to`` (None: not typing). Adds the person on first sight."""
    name = name.strip()
    if not name:
        raise ValueError("A staff name cannot be empty.")
    at = to_db(utc(now))
    Staff.insert(name=name, counter=counter, last_seen_at=at, replying_to=replying_to).on_conflict(
        conflict_target=[Staff.name],
        update={Staff.counter: counter, Staff.last_seen_at: at, Staff.replying_to: replying_to},
    ).execute()


def signed_out(name: str) -> None:
    """``name`` left their counter."""
    Staff.update(counter=None, replying_to=None).where(Staff.name == name).execute()


def present(now: datetime) -> list[tuple[str, str]]:
    """(name, counter) of everyone seen within PRESENT_FOR, by name."""
    since = to_db(utc(now) - PRESENT_FOR)
    query = (
        Staff.select(Staff.name, Staff.counter)
        .where(Staff.counter.is_null(False) & (Staff.last_seen_at >= since))
        .order_by(Staff.name)
    )
    return [(s.name, str(s.counter)) for s in query]


def replying_in(conversation_id: int, now: datetime, *, besides: str | None = None) -> list[str]:
    """Who else is typing a reply in the conversation now (seen within REPLYING_FOR)."""
    return [name for name, _until in replying_until(conversation_id, now, besides=besides)]


def replying_until(
    conversation_id: int, now: datetime, *, besides: str | None = None
) -> list[tuple[str, datetime]]:
    """(name, until) of who else is typing a reply in the conversation now, by name: ``until``
    (UTC) is when they no longer count as replying unless they type again (last seen +
    REPLYING_FOR), so a window can read again then instead of polling."""
    since = to_db(utc(now) - REPLYING_FOR)
    query = Staff.select(Staff.name, Staff.last_seen_at).where(
        (Staff.replying_to == conversation_id)
        & Staff.counter.is_null(False)
        & (Staff.last_seen_at >= since)
    )
    if besides is not None:
        query = query.where(Staff.name != besides)
    return sorted(
        (s.name, utc(s.last_seen_at) + REPLYING_FOR) for s in query if s.last_seen_at is not None
    )


def assign(conversation_id: int, name: str | None) -> None:
    """Assign the conversation to the staff member ``name`` (None: to nobody). An unknown name
    or conversation is refused in plain words (ValueError)."""
    if name is not None and not Staff.select().where(Staff.name == name).exists():
        raise ValueError(f"Nobody called {name} has signed in at this shop.")
    changed = (
        Conversation.update(assigned_to=name).where(Conversation.id == conversation_id).execute()
    )
    if not changed:
        raise ValueError(f"There is no conversation {conversation_id}.")
