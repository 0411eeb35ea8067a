"""Contacts and conversations: one contact per number, one conversation per contact.

These helpers run inside the caller's transaction (the engine's core thread is the one writer).
``number`` is always already normalised (E.164, or an alphanumeric sender kept as received).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desk.base import phones, quiet_hours
from desk.base.clock import Clock, to_db
from desk.store import activity, rows
from desk.store.db import db
from desk.store.models import DONE, IN, OPEN, Contact, Conversation, Message
from desk.store.outgoing import insert_model
from desk.store.settings import SettingsReader

PREVIEW_CHARS = 120


def contact_for_number(number: str, *, clock: Clock, name: str | None = None) -> Contact:
    """The contact with this number, created if it is new. ``name`` (from an import, say) is
    filled in only when the contact has none yet: a name staff typed is never overwritten."""
    contact = rows.select_one(Contact, "number = ?", (number,))
    if contact is None:
        contact = Contact(number=number, name=name or None, created_at=to_db(clock.now()))
        insert_model(contact)
    elif name and not contact.name:
        contact.name = name
        db.execute_sql("UPDATE contact SET name = ? WHERE id = ?", (name, contact.id))
    return contact


class NoSuchContact(LookupError):
    """A contact id that names no contact (deleted meanwhile)."""


def contact_for(item: Contact | int | str, *, country: str, clock: Clock) -> Contact:
    """The contact ``item`` means: a Contact row as given, the contact with that id, or the
    contact for a number as typed (normalised with ``country``, created when new). Raises
    ``NoSuchContact`` for an unknown id and ``phones.InvalidNumber`` (plain words) for text
    that is not a phone number."""
    if isinstance(item, Contact):
        return item
    if isinstance(item, int):
        contact = rows.select_one(Contact, "id = ?", (item,))
        if contact is None:
            raise NoSuchContact(f"There is no contact {item} (deleted?).")
        return contact
    return contact_for_number(phones.normalize(str(item), country), clock=clock)


def conversation_for(contact: Contact, *, clock: Clock) -> Conversation:
    """The contact's conversation, created (open, empty) if there is none yet."""
    conversation = rows.select_one(Conversation, "contact_id = ?", (contact.id,))
    if conversation is None:
        conversation = Conversation(contact=contact, last_activity_at=to_db(clock.now()))
        insert_model(conversation)
        activity.record_event(conversation.id, activity.OPENED, clock.now())
    else:
        conversation.__rel__["contact"] = contact  # the row it was found by
    return conversation


def preview(text: str) -> str:
    """One line of the message for the conversation list."""
    line = " ".join(text.split())
    if len(line) > PREVIEW_CHARS:
        line = line[: PREVIEW_CHARS - 1] + "…"
    return line


def touch(conversation: Conversation, message: Message, *, count_unread: bool = True) -> None:
    """Record ``message`` as the conversation's latest activity.

    An unread incoming message adds one to ``unread`` (unless ``count_unread`` is False, e.g. when
    an already counted incomplete message is completed) and reopens a conversation marked done.
    Writes the fields it sets (one plain UPDATE), not the rest of the row: a cause raised or an
    assignment made since ``conversation`` was read stays as stored.
    """
    conversation.last_activity_at = message.created_at
    if "sensitive" in message.flag_list:
        conversation.last_preview = "[message with sensitive data]"
    else:
        conversation.last_preview = preview(message.body)
    conversation.last_direction = message.direction
    if message.direction == IN:
        if count_unread and not message.read:
            conversation.unread = conversation.unread + 1
        if conversation.status == DONE:
            conversation.status = OPEN
            activity.record_event(conversation.id, activity.REOPENED, message.created_at)
    db.execute_sql(
        "UPDATE conversation SET last_activity_at = ?, last_preview = ?, last_direction = ?, "
        "unread = ?, status = ? WHERE id = ?",
        (
            Conversation.last_activity_at.db_value(conversation.last_activity_at),  # type: ignore[no-untyped-call]
            conversation.last_preview,
            conversation.last_direction,
            conversation.unread,
            conversation.status,
            conversation.id,
        ),
    )
    cast("Any", conversation)._dirty.clear()


def is_textable(number: str) -> bool:
    """Whether we can send to this stored number (not an alphanumeric sender name)."""
    return number.startswith("+") and not phones.is_alphanumeric(number)


def contact_zone(contact: Contact, fallback: ZoneInfo) -> ZoneInfo:
    """The contact's time zone: their own if set, else their number's country's (when it has
    exactly one), else ``fallback`` (the shop's)."""
    for name in (contact.timezone, phones.region_timezone(contact.number)):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return fallback


def quiet_hold(when: datetime, contact: Contact, settings: SettingsReader) -> datetime | None:
    """Until when quiet hours hold back an automated text to ``contact`` due at ``when`` (aware):
    the next allowed minute in the contact's zone (``contact_zone``, the shop's as fallback), as
    aware UTC, or None when it may go at ``when``. The send queue and the scheduler both ask this."""
    return quiet_hours.hold(
        when, contact_zone(contact, settings.shop_zone()), settings.quiet_window()
    )
