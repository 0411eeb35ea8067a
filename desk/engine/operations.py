"""What the Engine's API methods do, run on the core thread (the one writer).

Each function opens its own transaction. ``emit`` sends desk.base.events to the engine's subscribers
(MessageAdded for new rows is emitted by the core's scan, not here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desk.base import events as ev
from desk.base.clock import Clock
from desk.compliance import consent
from desk.compliance.erase import ErasureResult
from desk.compliance.erase import erase_contact as erase
from desk.messaging import outbox, staff_decisions
from desk.store import activity, attention, audit
from desk.store.db import db
from desk.store.models import (
    ATTENTION_FAILED,
    ATTENTION_REMINDER_LATE,
    DONE,
    IN,
    OPEN,
    Contact,
    Conversation,
    Message,
)
from desk.store.settings import SettingsReader

Emit = Callable[[ev.DeskEvent], None]

CONTACT_FIELDS = ("name", "notes", "tags", "timezone", "callback_requested")


class NotFound(LookupError):
    pass


def send(
    target: str | int,
    text: str,
    *,
    staff: str | None,
    settings: SettingsReader,
    clock: Clock,
    source: str = "staff",
) -> int:
    with db.atomic():
        # One read of the settings for the whole send (the signature, the default country, who
        # is at the counter), not a query per key; the send queue applies the limits and quiet
        # hours when it takes the text, from its own snapshot.
        snapshot = settings.snapshot()
        staff = staff or snapshot.get("staff_name") or None
        message = outbox.queue_message(
            target, text, source=source, staff=staff, settings=snapshot, clock=clock
        )
        if source == "staff":  # staff answered: a late reminder has been dealt with
            attention.clear_cause(message.conversation_id, ATTENTION_REMINDER_LATE)
    return message.id


def resend(message_id: int, *, clock: Clock) -> int:
    """Send a failed or uncertain text again; its "Not sent" / "Not sure" cause ends with it
    (raised again if the new try fails)."""
    with db.atomic():
        message = staff_decisions.resend(message_id, clock=clock)
        attention.settle_sends(message.conversation_id)
    return message.id


def resolve_uncertain(message_id: int, *, went_out: bool, clock: Clock) -> int:
    """Staff say whether an uncertain text went out: "Not sure" ends, "Not sent" if it did not."""
    with db.atomic():
        message = staff_decisions.resolve_uncertain(message_id, went_out=went_out, clock=clock)
        if not went_out:
            attention.raise_cause(message.conversation_id, ATTENTION_FAILED)
        attention.settle_sends(message.conversation_id)
    return message.id


def dismiss_attention(conversation_id: int, cause: str, *, emit: Emit) -> None:
    """Staff have handled a cause that is a note to them (a reminder that could not go in
    time); a cause that is a state (a failed text, a customer's request) is refused."""
    if cause not in attention.CLEARED_BY_DONE:
        raise ValueError(f"“{cause}” ends with its cause, not by hand.")
    with db.atomic():
        attention.clear_cause(_conversation(conversation_id).id, cause)
    emit(ev.ConversationUpdated(conversation_id))


def _conversation(conversation_id: int) -> Conversation:
    conv = Conversation.get_or_none(Conversation.id == conversation_id)
    if conv is None:
        raise NotFound(f"There is no conversation {conversation_id} (erased?).")
    return conv


def _contact(contact_id: int) -> Contact:
    contact = Contact.get_or_none(Contact.id == contact_id)
    if contact is None:
        raise NotFound(f"There is no contact {contact_id} (erased?).")
    return contact


def conversation_ids(contact_id: int) -> list[int]:
    query = Conversation.select(Conversation.id).where(Conversation.contact == contact_id)
    return [c for (c,) in cast("Iterable[tuple[int]]", query.tuples())]


def mark_read(conversation_id: int, *, emit: Emit) -> None:
    """Nothing to do for a conversation erased meanwhile (the window asked as a text came in)."""
    with db.atomic():
        conv = Conversation.get_or_none(Conversation.id == conversation_id)
        if conv is None:
            return
        Message.update(read=True).where(
            (Message.conversation == conv.id) & (Message.direction == IN) & (Message.read == False)  # noqa: E712
        ).execute()
        Conversation.update(unread=0).where(Conversation.id == conv.id).execute()
    emit(ev.ConversationUpdated(conversation_id))


def set_status(conversation_id: int, status: str, *, emit: Emit, clock: Clock) -> None:
    """Mark a conversation done or open again; the change is kept as an event for the report."""
    if status not in (OPEN, DONE):
        raise ValueError(f"A conversation is “{OPEN}” or “{DONE}”, not “{status}”.")
    with db.atomic():
        conv = _conversation(conversation_id)
        Conversation.update({Conversation.status: status}).where(
            Conversation.id == conv.id
        ).execute()
        if status == DONE:  # handled: the notes to staff end; a failed text stays marked
            attention.clear_cause(conv.id, *attention.CLEARED_BY_DONE)
        if status != conv.status:
            kind = activity.DONE if status == DONE else activity.REOPENED
            activity.record_event(conv.id, kind, clock.now())
    emit(ev.ConversationUpdated(conversation_id))


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(CONTACT_FIELDS))
    if unknown:
        raise ValueError(f"A contact has no field {', '.join(unknown)}.")
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "name":
            name = (value or "").strip()
            if len(name) > 100:
                raise ValueError("The name is too long (at most 100 characters).")
            out[key] = name or None
        elif key == "notes":
            out[key] = value or ""
        elif key == "tags":
            items = value if isinstance(value, list | tuple | set) else str(value or "").split(",")
            tags: list[str] = []
            for t in (str(i).strip().lower() for i in items):
                if t and t not in tags:
                    tags.append(t)
            out[key] = ",".join(tags)
        elif key == "timezone":
            zone = (value or "").strip()
            if zone:
                try:
                    ZoneInfo(zone)
                except (ZoneInfoNotFoundError, ValueError):
                    raise ValueError(
                        f"“{zone}” is not a time zone such as Europe/London."
                    ) from None
            out[key] = zone or None
        elif key == "callback_requested":
            out[key] = bool(value)
    return out


def update_contact(contact_id: int, fields: dict[str, Any], *, emit: Emit) -> None:
    clean = _clean_fields(fields)
    with db.atomic():
        _contact(contact_id)
        if clean:
            Contact.update(clean).where(Contact.id == contact_id).execute()
        convs = conversation_ids(contact_id)
    for conv in convs:
        emit(ev.ConversationUpdated(conv))


def set_opt_out(
    contact_id: int, opted_out: bool, *, staff: str | None, clock: Clock, emit: Emit
) -> None:
    with db.atomic():
        contact = _contact(contact_id)
        consent.set_opt_out(
            contact,
            opted_out,
            method="staff",
            text=f"set by {staff}" if staff else "set by staff",
            clock=clock,
        )
        audit.record(
            "opt_out" if opted_out else "opt_in",
            f"contact {contact_id} {'opted out' if opted_out else 'opted back in'} by staff",
            staff,
            clock=clock,
        )
        convs = conversation_ids(contact_id)
    for conv in convs:
        emit(ev.ConversationUpdated(conv))


def erase_contact(contact_id: int, *, staff: str | None, clock: Clock, emit: Emit) -> ErasureResult:
    """Erase one customer (desk.compliance.erase.erase_contact); ConversationRemoved for their
    threads."""
    convs = conversation_ids(contact_id)
    result = erase(contact_id, staff=staff, clock=clock)
    for conv in convs:
        emit(ev.ConversationRemoved(conv))
    return result
