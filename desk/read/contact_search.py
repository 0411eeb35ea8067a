"""Finding a contact by name or number as staff type (the new-conversation and reminder
pickers). Read-only, through the caller's connection."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import peewee as pw

from desk.store import models as m

__all__ = ["ContactHit", "find_contacts"]


@dataclass(frozen=True)
class ContactHit:
    id: int
    name: str | None
    number: str
    conversation_id: int | None


def find_contacts(text: str, *, limit: int = 20) -> list[ContactHit]:
    """Contacts whose name or number contains ``text`` (for the new-conversation picker)."""
    text = text.strip()
    if not text:
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    cond = m.Contact.name.contains(text)
    if digits:
        cond = cond | m.Contact.number.contains(digits)
    query = (
        m.Contact.select(m.Contact.id, m.Contact.name, m.Contact.number, m.Conversation.id)
        .join(m.Conversation, pw.JOIN.LEFT_OUTER)
        .where(cond)
        .order_by(m.Contact.name.is_null(), m.Contact.name, m.Contact.number)
        .limit(limit)
    )
    return [ContactHit(*t) for t in cast(Iterator[tuple[Any, ...]], iter(query.tuples()))]
