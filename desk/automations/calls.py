"""Missed calls become conversations: "Missed call 14:02" in the caller's thread, and a text back.

The modem reports a voice call to the shop's SIM (RING / +CLIP, then the caller hangs up or
TextDesk declines after the configured rings). For every call TextDesk keeps a ``Call`` row; for
a missed one from a number it also puts a line in the caller's thread, unread, so the conversation
comes to the top of the list. With ``missed_call_textback`` on, the caller gets the
``missed_call_text`` at most once per ``missed_call_every_hours``: never a withheld or
alphanumeric caller, never a customer who opted out; the send queue's rate limit applies, and
quiet hours hold it only when ``missed_call_quiet_hours`` says so (it answers a call just made).
Each text-back, and each one not sent, is written to the audit log with its reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from desk.base import phones
from desk.base.clock import Clock, to_db, utc
from desk.messaging import outbox, placeholders
from desk.messaging.contacts import contact_for_number, conversation_for, is_textable, touch
from desk.store import audit
from desk.store.activity import Call
from desk.store.db import db
from desk.store.models import IN, RECEIVED, Contact, Message
from desk.store.settings import SettingsReader

log = logging.getLogger(__name__)

SOURCE = "missed_call"  # the text-back
CALL_SOURCE = "call"  # the line in the thread
FLAG = "missed_call"


@dataclass(frozen=True)
class CallOutcome:
    call_id: int
    message_id: int | None  # the "Missed call" line in the thread
    conversation_id: int | None
    textback_id: int | None
    skipped: str | None  # why no text went back, in plain words


def _caller(number: str | None, settings: SettingsReader) -> str | None:
    """The caller's number as stored (E.164), or None when withheld or unreadable."""
    if not number or not number.strip():
        return None
    try:
        return phones.normalize(number, str(settings.get("default_country")))
    except phones.InvalidNumber:
        return number.strip() if phones.is_alphanumeric(number.strip()) else None


def on_call_ended(
    number: str | None,
    *,
    started_at: datetime,
    ended_at: datetime,
    rings: int,
    answered: bool,
    declined: bool,
    settings: SettingsReader,
    clock: Clock,
) -> CallOutcome:
    """Record a call that ended; for a missed one, the thread line and (maybe) the text-back."""
    caller = _caller(number, settings)
    with db.atomic():
        contact = contact_for_number(caller, clock=clock) if caller else None
        call: Call = Call.create(
            number=caller,
            contact=contact,
            started_at=to_db(utc(started_at)),
            ended_at=to_db(utc(ended_at)),
            rings=rings,
            answered=answered,
            declined=declined,
        )
        if answered or contact is None:
            reason = None if answered else "the caller's number was withheld"
            if reason:
                Call.update(skipped=reason).where(Call.id == call.id).execute()
            return CallOutcome(call.id, None, None, None, reason)
        conversation = conversation_for(contact, clock=clock)
        local = utc(started_at).astimezone(settings.shop_zone())
        line: Message = Message.create(
            conversation=conversation,
            direction=IN,
            body=f"Missed call {local:%H:%M}",
            state=RECEIVED,
            created_at=to_db(utc(ended_at)),
            read=False,
            source=CALL_SOURCE,
            flags=FLAG,
        )
        touch(conversation, line)
        textback, skipped = _text_back(call, contact, settings, clock)
        Call.update(textback=textback, skipped=skipped).where(Call.id == call.id).execute()
        if skipped and settings.get("missed_call_textback"):
            audit.record(
                "automation", f"no missed-call text (call {call.id}): {skipped}", clock=clock
            )
    return CallOutcome(call.id, line.id, conversation.id, textback, skipped)


def _text_back(
    call: Call, contact: Contact, settings: SettingsReader, clock: Clock
) -> tuple[int | None, str | None]:
    if not settings.get("missed_call_textback"):
        return None, "missed-call texts are off"
    if not is_textable(contact.number):
        return None, "the caller's number cannot receive texts"
    if contact.opted_out:
        return None, "the caller opted out of texts"
    every = timedelta(hours=int(settings.get("missed_call_every_hours")))
    earlier = Call.select().where(
        (Call.contact == contact.id)
        & (Call.id != call.id)
        & Call.textback.is_null(False)
        & (Call.started_at > to_db(clock.now() - every))
    )
    if earlier.exists():
        return (
            None,
            f"the caller already got a missed-call text in the last {every.total_seconds() / 3600:g} hours",
        )
    text = placeholders.render(
        str(settings.get("missed_call_text")), placeholders.for_contact(contact, settings)
    )
    if not text.strip():
        return None, "the missed-call text is empty"
    try:
        message = outbox.queue_message(
            contact,
            text,
            source=SOURCE,
            automated=bool(settings.get("missed_call_quiet_hours")),
            settings=settings,
            clock=clock,
        )
    except outbox.SendRefused as exc:
        return None, str(exc)
    audit.record(
        "automation", f"missed-call text (call {call.id}, message {message.id})", clock=clock
    )
    return message.id, None
