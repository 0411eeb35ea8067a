"""Internal notes on a conversation: written by staff for staff, shown in the thread among the
texts, never sent to the customer (schema 5, table ``note``). Erasing the customer deletes them
with the conversation (ON DELETE CASCADE).

Writes run on the engine's core thread: ``engine.call(notes.add_note, conversation_id, text,
staff="Anna", clock=engine.clock)``; the window reads through its own connection
(``notes_for``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from desk.base.clock import Clock, to_db
from desk.store.db import db
from desk.store.models import Conversation, Note

__all__ = ["MAX_NOTE", "NoteError", "NoteRow", "add_note", "delete_note", "notes_for"]

MAX_NOTE = 2000


class NoteError(ValueError):
    """A note that cannot be kept, in one plain sentence."""


@dataclass(frozen=True)
class NoteRow:
    id: int
    conversation_id: int
    body: str
    staff: str | None
    created_at: datetime  # aware UTC

    @property
    def key(self) -> tuple[datetime, int]:
        return (self.created_at, self.id)


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def add_note(conversation_id: int, text: str, *, staff: str | None = None, clock: Clock) -> int:
    """Keep ``text`` as an internal note on the conversation; returns its id."""
    text = text.strip()
    if not text:
        raise NoteError("A note needs some text.")
    if len(text) > MAX_NOTE:
        raise NoteError(f"A note can be at most {MAX_NOTE} characters; this one has {len(text)}.")
    with db.atomic():
        if not Conversation.select().where(Conversation.id == conversation_id).exists():
            raise NoteError("This conversation no longer exists (erased?).")
        note = Note.create(
            conversation=conversation_id,
            body=text,
            staff=staff or None,
            created_at=to_db(clock.now()),
        )
    note_id: int = note.id
    return note_id


def delete_note(note_id: int) -> None:
    """Remove a note (written by mistake)."""
    with db.atomic():
        Note.delete().where(Note.id == note_id).execute()


def notes_for(
    conversation_id: int, *, since: datetime | None = None, limit: int = 500
) -> list[NoteRow]:
    """The conversation's notes, oldest first (the ``limit`` newest; from ``since`` on, when
    given: the oldest text the thread shows)."""
    query = Note.select(Note.id, Note.conversation, Note.body, Note.staff, Note.created_at).where(
        Note.conversation == conversation_id
    )
    if since is not None:
        query = query.where(Note.created_at >= to_db(since))
    rows = cast(
        "list[tuple[int, int, str, str | None, datetime]]",
        list(query.order_by(Note.created_at.desc(), Note.id.desc()).limit(limit).tuples()),
    )
    return [NoteRow(i, c, b, s, _aware(at)) for i, c, b, s, at in reversed(rows)]
