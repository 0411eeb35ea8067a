"""What happened around the messages: calls, conversations opened and closed, keyword answers.

Schema 6 (migrations/sqlite/0006_activity.sql). These rows feed the automations (missed-call
text-back, keyword answers) and the insight report (how quickly the shop answers, missed calls,
conversations opened and done). Every row that names a customer cascades with the contact or
conversation, so erasing a customer removes their calls and events with everything else.
"""

from __future__ import annotations

from datetime import datetime

import peewee as pw

from desk.base.clock import to_db, utc
from desk.store.models import BaseModel, Contact, Conversation, Message

__all__ = ["MODELS", "Call", "ConversationEvent", "KeywordAnswer", "record_event"]

# ConversationEvent.kind
OPENED, DONE, REOPENED = "opened", "done", "reopened"


class Call(BaseModel):
    """A voice call to the shop's SIM, as the modem reported it (number None: withheld)."""

    id = pw.AutoField()
    number = pw.CharField(null=True)
    contact = pw.ForeignKeyField(Contact, null=True, backref="calls", on_delete="CASCADE")
    contact_id: int | None
    started_at = pw.DateTimeField(index=True)
    ended_at = pw.DateTimeField(null=True)
    rings = pw.IntegerField(default=0)
    answered = pw.BooleanField(default=False)
    declined = pw.BooleanField(default=False)  # TextDesk hung up after the configured rings
    textback = pw.ForeignKeyField(Message, null=True, on_delete="SET NULL")
    textback_id: int | None
    skipped = pw.TextField(null=True)  # why no text went back, in plain words


class ConversationEvent(BaseModel):
    """A conversation opened (new, or reopened by the customer) or marked done, and when."""

    id = pw.AutoField()
    conversation = pw.ForeignKeyField(Conversation, backref="events", on_delete="CASCADE")
    conversation_id: int
    kind = pw.CharField()
    at = pw.DateTimeField(index=True)
    staff = pw.CharField(null=True)


class KeywordAnswer(BaseModel):
    """A word the shop answers automatically (HOURS, ADDRESS…), stored folded (lower, no accents)."""

    id = pw.AutoField()
    keyword = pw.CharField(unique=True)
    answer = pw.TextField()
    enabled = pw.BooleanField(default=True)
    created_at = pw.DateTimeField()


# The models this module adds to the schema (desk.store.models.ALL_MODELS holds the others).
MODELS: list[type[BaseModel]] = [Call, ConversationEvent, KeywordAnswer]


def record_event(
    conversation_id: int, kind: str, at: datetime, *, staff: str | None = None
) -> None:
    """Note that a conversation was opened, reopened or marked done at ``at`` (aware, or naive
    UTC as read from the database), inside the caller's transaction."""
    if kind not in (OPENED, DONE, REOPENED):
        raise ValueError(f"unknown conversation event {kind!r}")
    ConversationEvent.create(
        conversation=conversation_id, kind=kind, at=to_db(utc(at)), staff=staff
    )
