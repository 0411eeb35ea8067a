"""Reply drafts, one per conversation: what staff typed and have not sent yet.

A draft belongs to its conversation only, so text typed for one customer never follows staff to
the next, and it is kept across restarts. The table is schema 4 (migrations/sqlite/0004_drafts.sql);
the foreign key cascades, so erasing a customer (which deletes the conversation) removes the draft
with everything else they wrote or were sent.

Writes run on the engine's core thread, the one writer::

    engine.call(drafts.save_draft, conversation_id, text, clock=engine.clock)
    engine.call(drafts.clear_draft, conversation_id)

and the window reads through its own connection: ``drafts.load_draft(conversation_id)``.
"""

from __future__ import annotations

import peewee as pw

from desk.base.clock import Clock, to_db
from desk.store.models import BaseModel, Conversation

__all__ = ["MODELS", "Draft", "clear_draft", "load_draft", "save_draft"]


class Draft(BaseModel):
    id = pw.AutoField()
    conversation = pw.ForeignKeyField(
        Conversation, unique=True, backref="drafts", on_delete="CASCADE"
    )
    conversation_id: int
    body = pw.TextField()
    updated_at = pw.DateTimeField()


# The models this module adds to the schema (desk.store.models.ALL_MODELS holds the others).
MODELS: list[type[BaseModel]] = [Draft]


def save_draft(conversation_id: int, text: str, *, clock: Clock) -> None:
    """Keep ``text`` as the draft of the conversation; text that is only blanks clears it.

    A conversation that no longer exists (erased while the text was typed) keeps nothing."""
    if not text.strip():
        clear_draft(conversation_id)
        return
    if not Conversation.select().where(Conversation.id == conversation_id).exists():
        return
    now = to_db(clock.now())
    (
        Draft.insert(conversation=conversation_id, body=text, updated_at=now)
        .on_conflict(
            conflict_target=[Draft.conversation], update={Draft.body: text, Draft.updated_at: now}
        )
        .execute()
    )


def clear_draft(conversation_id: int) -> None:
    """Forget the conversation's draft (it was sent, or emptied)."""
    Draft.delete().where(Draft.conversation == conversation_id).execute()


def load_draft(conversation_id: int) -> str:
    """The conversation's draft, or "" when there is none."""
    row = Draft.select(Draft.body).where(Draft.conversation == conversation_id).tuples().first()
    return str(row[0]) if row else ""
