"""Consent: STOP / START / HELP keywords, free-text opt-out requests, and the consent record.

Rules (whole message, case- and punctuation-insensitive: "Stop.", " stop!! ", "OPT-OUT"):

- STOP, STOPALL, STOP ALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPT OUT, OPTOUT opt the contact
  out. One confirmation (setting ``optout_confirmation``) is queued, and none if the contact was
  already opted out. Every keyword is recorded as a ConsentEvent anyway.
- START, UNSTOP, SUBSCRIBE opt back in; the ``optin_confirmation`` is sent when the contact was
  opted out (a START from someone who never opted out is only recorded). YES is *not* an opt-in:
  it answers appointment reminders.
- HELP, INFO get the shop's ``help_text`` (also when opted out: carriers require it), at most once
  per contact in ``HELP_REPLY_GAP``.
- CANCEL and appointments: a reply R/N/NO/CANCEL to an appointment reminder means the appointment
  needs attention. So: if the contact has an appointment still ``pending`` for which a reminder has
  gone out and which has not long passed (``desk.reminders.appointments.awaiting_reply``, the very rule the
  appointment reply handling uses), CANCEL is left to ``desk.reminders.appointments`` and does NOT opt out.
  Otherwise CANCEL is an opt-out like STOP.
- Free-text opt-out requests ("stop texting me", "please remove me from your list", "don't text
  me", "STOP please") are flagged for staff: the message gets flag ``optout_text``, the
  conversation needs attention (cause ``optout_text``, until a consent decision follows),
  and a ConsentEvent of kind ``optout_text`` is recorded. They
  are NOT acted on: a person decides. A message that merely contains "stop" ("stop by at 5?") is
  neither an opt-out nor flagged.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import timedelta
from typing import Literal

from desk.base.clock import Clock, to_db
from desk.messaging import outbox, placeholders
from desk.messaging.contacts import is_textable
from desk.reminders.appointments import awaiting_reply
from desk.store import attention
from desk.store.models import (
    ATTENTION_OPTOUT_TEXT,
    OUT,
    ConsentEvent,
    Contact,
    Conversation,
    Message,
)
from desk.store.settings import SettingsReader

log = logging.getLogger(__name__)

Kind = Literal["stop", "start", "help", "optout_text"]

STOP_WORDS = frozenset(
    {
        "stop",
        "stopall",
        "stop all",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "opt out",
        "optout",
    }
)
START_WORDS = frozenset({"start", "unstop", "subscribe"})
HELP_WORDS = frozenset({"help", "info"})

# Consent event kinds (ConsentEvent.kind)
OPT_OUT, OPT_IN, HELP, OPTOUT_TEXT = "opt_out", "opt_in", "help", "optout_text"

HELP_REPLY_GAP = timedelta(minutes=10)

# "stop please", "unsubscribe me now": an unambiguous keyword plus only polite filler.
_PREFIX_WORDS = frozenset({"stop", "stopall", "unsubscribe", "optout", "revoke"})
_FILLER = frozenset(
    [
        "please",
        "pls",
        "plz",
        "me",
        "now",
        "thanks",
        "thank",
        "you",
        "thx",
        "ty",
        "asap",
        "immediately",
        "all",
        "texts",
        "text",
        "messages",
        "sms",
        "it",
        "this",
        "ok",
        "okay",
    ]
)
_FREE_TEXT = [
    re.compile(p)
    for p in (
        r"\bstop (?:texting|messaging|sending|contacting|txting|msging|spamming)\b",
        r"\b(?:do not|dont|don t|never) (?:text|message|msg|txt|contact|sms)\b",
        r"\bno (?:more )?(?:texts|messages|sms|text messages)\b",
        r"\bremove (?:me|my number|this number)\b",
        r"\btake (?:me|my number) off\b",
        r"\b(?:unsubscribe|opt) me\b",
        r"\bopt (?:me )?out\b",
        r"\bunsubscribe\b",
        r"\bleave me alone\b",
        r"\bwrong number\b.*\bstop\b",
    )
]


def normalize(body: str) -> str:
    """Lower-case words separated by single spaces, punctuation and symbols dropped."""
    text = unicodedata.normalize("NFKC", body or "").casefold()
    text = text.replace("'", "").replace("’", "")  # don't -> dont
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def classify(body: str) -> Kind | None:
    """What a message means for consent: "stop", "start", "help", "optout_text" or None."""
    words = normalize(body)
    if not words:
        return None
    if words in STOP_WORDS:
        return "stop"
    if words in START_WORDS:
        return "start"
    if words in HELP_WORDS:
        return "help"
    first, _, rest = words.partition(" ")
    if first == "opt" and rest.startswith("out"):
        first, rest = "optout", rest[3:].strip()
    if first in _PREFIX_WORDS and rest and all(w in _FILLER for w in rest.split()):
        return "optout_text"
    if any(p.search(words) for p in _FREE_TEXT):
        return "optout_text"
    return None


def is_cancel(body: str) -> bool:
    return normalize(body) == "cancel"


def set_opt_out(
    contact: Contact,
    opted_out: bool,
    *,
    method: str,
    text: str | None,
    clock: Clock,
) -> ConsentEvent:
    """Set the contact's opt-out and record it (method: keyword, staff, import, erasure). It is
    the decision a customer's asking in words to stop waited for: that cause ends."""
    if contact.opted_out != opted_out:
        contact.opted_out = opted_out
        Contact.update(opted_out=opted_out).where(Contact.id == contact.id).execute()
    for conversation_id in attention.conversations_of(contact.id):
        attention.clear_cause(conversation_id, ATTENTION_OPTOUT_TEXT)
    return _record(contact, OPT_OUT if opted_out else OPT_IN, method, text, clock)


def awaiting_appointment_reply(contact: Contact, *, clock: Clock) -> bool:
    """True when the contact has a pending appointment whose reminder has gone out: the very
    rule appointment reply handling uses (``desk.reminders.appointments.awaiting_reply``), so a
    CANCEL is always either an opt-out or an appointment reply, never neither."""
    return awaiting_reply(contact, clock=clock) is not None


def reply_text(key: str, contact: Contact, settings: SettingsReader) -> str:
    """The consent reply in setting ``key`` (help_text, optout_confirmation...) as ``contact``
    gets it: placeholders by the same renderer as templates and reminders."""
    return placeholders.render(str(settings.get(key)), placeholders.for_contact(contact, settings))


def _queue_reply(
    contact: Contact, key: str, *, source: str, settings: SettingsReader, clock: Clock
) -> list[int]:
    """Queue the reply in setting ``key`` to ``contact``; nothing for a number that cannot be
    texted, an empty reply, or one the outbox refuses (logged)."""
    text = reply_text(key, contact, settings)
    if not is_textable(contact.number) or not text.strip():
        return []
    try:
        message = outbox.queue_message(contact, text, source=source, settings=settings, clock=clock)
    except outbox.SendRefused as exc:
        log.warning("no %s reply to contact %s: %s", source, contact.id, exc)
        return []
    return [message.id]


def _record(
    contact: Contact, kind: str, method: str, text: str | None, clock: Clock
) -> ConsentEvent:
    created: ConsentEvent = ConsentEvent.create(
        contact=contact,
        number=contact.number,
        kind=kind,
        method=method,
        text=text,
        at=to_db(clock.now()),
    )
    return created


def _keyword_opt(
    message: Message, contact: Contact, opted_out: bool, *, settings: SettingsReader, clock: Clock
) -> list[int]:
    """STOP or START: record it; confirm only when it changes the contact's state."""
    message.add_flag("keyword")
    was_out = contact.opted_out
    set_opt_out(contact, opted_out, method="keyword", text=message.body, clock=clock)
    if was_out == opted_out:
        return []
    key = "optout_confirmation" if opted_out else "optin_confirmation"
    return _queue_reply(contact, key, source="consent", settings=settings, clock=clock)


def _help_recently_sent(contact: Contact, clock: Clock) -> bool:
    since = to_db(clock.now() - HELP_REPLY_GAP)
    return (
        Message.select(Message.id)
        .join(Conversation)
        .where(
            (Conversation.contact == contact)
            & (Message.direction == OUT)
            & (Message.source == "help")
            & (Message.created_at >= since)
        )
        .exists()
    )


def on_incoming(message: Message, *, settings: SettingsReader, clock: Clock) -> list[int]:
    """Act on a complete incoming message; returns the ids of auto replies queued.

    Keywords get the flag ``keyword`` (so appointment handling leaves them alone); a CANCEL left
    to appointments (see the module rules) gets no flag.
    """
    kind = classify(message.body)
    if kind is None:
        return []
    contact: Contact = Contact.get_by_id(message.conversation.contact_id)
    if kind == "stop":
        if is_cancel(message.body) and awaiting_appointment_reply(contact, clock=clock):
            return []  # an appointment reply: desk.reminders.appointments handles it
        return _keyword_opt(message, contact, True, settings=settings, clock=clock)
    if kind == "start":
        return _keyword_opt(message, contact, False, settings=settings, clock=clock)
    if kind == "help":
        message.add_flag("keyword")
        _record(contact, HELP, "keyword", message.body, clock)
        if _help_recently_sent(contact, clock):
            return []
        return _queue_reply(contact, "help_text", source="help", settings=settings, clock=clock)
    # Free-text opt-out: flag for a person, do not act.
    message.add_flag("optout_text")
    attention.raise_cause(message.conversation_id, ATTENTION_OPTOUT_TEXT)
    _record(contact, OPTOUT_TEXT, "free_text", message.body, clock)
    return []
