"""A whole conversation as plain text (the window's Export of one conversation)."""

from __future__ import annotations

from datetime import UTC, tzinfo

from desk.read.queries import _MSG_FIELDS, _msg_row, conversation_row
from desk.store import models as m


def export_conversation(conversation_id: int, *, zone: tzinfo = UTC, country: str = "US") -> str:
    """The whole conversation as plain text, oldest first, local times."""
    row = conversation_row(conversation_id)
    if row is None:
        raise LookupError(f"conversation {conversation_id} does not exist")
    lines = [f"Conversation with {row.title(country)} ({row.number})", ""]
    query = (
        m.Message.select(*_MSG_FIELDS)
        .where(m.Message.conversation == conversation_id)
        .order_by(m.Message.created_at, m.Message.id)
        .tuples()
    )
    for t in query.iterator():
        msg = _msg_row(t)
        when = msg.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        who = "Shop" if msg.outgoing else (row.name or row.number)
        state = f" [{msg.state}]" if msg.outgoing else ""
        lines.append(f"{when}  {who}{state}: {msg.body}")
    return "\n".join(lines) + "\n"
