"""Writes the window asks for that have no Engine method of their own, run on the engine's core
thread through ``Engine.call`` (which wraps each in one write transaction).

```python
future = engine.call(window_ops.open_conversation, "+12025550177", settings=s, clock=c)
future = engine.call(window_ops.save_settings, {"shop_name": "Main St"}, settings=s, clock=c)
```
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from desk.base import events as ev
from desk.base import phones
from desk.base.clock import Clock
from desk.engine import live
from desk.messaging import contacts, staff
from desk.store import audit, counters
from desk.store.models import IN, Conversation, Message
from desk.store.settings import Settings

Emit = Callable[[ev.DeskEvent], None]  # the core's emit (Engine._core_emit): after the commit

__all__ = [
    "assign",
    "mark_unread",
    "open_conversation",
    "replying",
    "save_settings",
    "sign_in",
    "sign_out",
]


def open_conversation(number: str, *, settings: Settings, clock: Clock) -> int:
    """The id of the conversation with ``number``, creating the (nameless) contact and the empty
    conversation when they are new. The number is read in the shop's default country; one that is
    not a phone number raises phones.InvalidNumber with a plain-words reason and writes nothing."""
    e164 = phones.normalize(number, settings.get("default_country"))
    contact = contacts.contact_for_number(e164, clock=clock)
    conversation = contacts.conversation_for(contact, clock=clock)
    conversation_id: int = conversation.id
    return conversation_id


def save_settings(
    changes: Mapping[str, str],
    *,
    settings: Settings,
    clock: Clock,
    staff: str | None = None,
    where: str = "the window",
) -> None:
    """Set each setting from its text (as typed in the settings dialog) and note the changed keys
    in the audit log (never the values: the SIM PIN is one). A bad value raises SettingError
    naming the key; since Engine.call runs this in one transaction, nothing is saved then."""
    if not changes:
        return
    for key, text in changes.items():
        settings.set_text(key, text)
    audit.record("settings", f"{', '.join(sorted(changes))} changed in {where}", staff, clock=clock)


def mark_unread(conversation_id: int) -> bool:
    """Staff mark a conversation unread (to come back to it): its newest text from the customer
    is unread again, and the conversation counts at least one unread. False when it no longer
    exists."""
    conversation = Conversation.get_or_none(Conversation.id == conversation_id)
    if conversation is None:
        return False
    newest = (
        Message.select(Message.id)
        .where((Message.conversation == conversation_id) & (Message.direction == IN))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .first()
    )
    if newest is not None:
        Message.update(read=False).where(Message.id == newest.id).execute()
    Conversation.update(unread=max(1, conversation.unread)).where(
        Conversation.id == conversation_id
    ).execute()
    return True


def assign(conversation_id: int, name: str | None, *, by: str | None, clock: Clock) -> None:
    """Assign the conversation to the staff member ``name`` (None: to nobody), audited with who
    did it; the other counters are told (on a server). ValueError in plain words for an unknown
    name or conversation."""
    counters.assign(conversation_id, name)
    words = f"assigned to {name}" if name else "unassigned"
    audit.record("assign", f"conversation {conversation_id} {words}", by, clock=clock)
    live.notify(live.CONVERSATION_UPDATED, conversation_id)


def replying(
    name: str,
    counter: str,
    conversation_id: int | None,
    *,
    before: int | None = None,
    clock: Clock,
    emit: Emit,
) -> None:
    """``name`` types a reply in ``conversation_id`` at ``counter`` (None: stopped), having been
    in ``before``; PresenceChanged for both conversations (the core tells the other counters in
    the batch: live.PRESENCE, their windows read who is replying again)."""
    staff.replying(name, counter, conversation_id, clock=clock)
    for cid in sorted({c for c in (before, conversation_id) if c is not None}):
        emit(ev.PresenceChanged(cid))


def sign_in(name: str, pin: str | None, counter: str, *, clock: Clock, emit: Emit) -> None:
    """``name`` signs in at ``counter`` (staff.sign_in: the PIN checked); PresenceChanged."""
    staff.sign_in(name, pin, counter, clock=clock)
    emit(ev.PresenceChanged(None))


def sign_out(name: str, *, emit: Emit) -> None:
    """``name`` left this counter: what they were replying in is no longer shown as such at the
    other counters (PresenceChanged)."""
    staff.sign_out(name)
    emit(ev.PresenceChanged(None))
