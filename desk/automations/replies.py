"""The automatic answers to an incoming text: keyword answers, then away replies.

Both run as inbox rules (desk.engine.incoming_rules) after consent (STOP/START/HELP, which is final)
and appointment replies, inside the inbox's transaction. Each incoming message gets at most one
automatic answer: a keyword answer if it asks for one, else an away reply if the shop is closed.
Neither answers a free-text opt-out ("please stop texting me") or an appointment answer, nor a
number that cannot be texted or a customer who opted out.

An answer is queued as a direct reply (``automated=False``, like the HELP answer), so quiet hours
do not hold it: the customer has just written. It is marked in the thread by its source ("away",
"keyword"), flagged on the incoming message, and written to the audit log.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from desk.automations import keywords
from desk.base import opening_hours
from desk.base.clock import Clock, to_db, utc
from desk.messaging import outbox, placeholders
from desk.messaging.contacts import is_textable
from desk.messaging.inbox import RuleOutcome
from desk.reminders.appointments import FLAG_CONFIRMED, FLAG_RESCHEDULE
from desk.store import audit
from desk.store.models import OUT, Contact, Conversation, Message
from desk.store.settings import Settings, SettingsReader

log = logging.getLogger(__name__)

AWAY = "away"
FLAG_AWAY, FLAG_KEYWORD = "away_replied", "keyword_answered"
# What earlier rules leave on a message that must not get an automatic answer.
_HANDLED = frozenset({"keyword", "optout_text", FLAG_CONFIRMED, FLAG_RESCHEDULE})
SOURCES = frozenset({AWAY, keywords.SOURCE})


def shop_hours(settings: SettingsReader) -> opening_hours.OpeningHours:
    """The shop's opening hours from its settings (ValueError if the stored text is damaged:
    the rule then fails loudly, it does not answer as if the shop were always open)."""
    return opening_hours.parse(
        str(settings.get("opening_hours") or ""),
        str(settings.get("closed_days") or "").split(","),
    )


def _recipient(message: Message) -> Contact | None:
    """The customer to answer, or None when nobody should get an automatic text."""
    if message.direction != "in" or _HANDLED.intersection(message.flag_list):
        return None
    if FLAG_AWAY in message.flag_list or FLAG_KEYWORD in message.flag_list:
        return None  # one automatic answer per message
    contact: Contact = Conversation.get_by_id(message.conversation_id).contact
    if contact.opted_out or not is_textable(contact.number):
        return None
    return contact


def _queue(
    contact: Contact, text: str, *, source: str, settings: SettingsReader, clock: Clock
) -> Message | None:
    if not text.strip():
        return None
    try:
        return outbox.queue_message(contact, text, source=source, settings=settings, clock=clock)
    except outbox.SendRefused as exc:
        log.warning("no %s answer to contact %s: %s", source, contact.id, exc)
        return None


def keyword_rule(message: Message, settings: Settings, clock: Clock) -> RuleOutcome:
    if not settings.get("keyword_answers"):
        return RuleOutcome()
    contact = _recipient(message)
    if contact is None:
        return RuleOutcome()
    found = keywords.match(message.body)
    if found is None:
        return RuleOutcome()
    if not keywords.may_answer(message.conversation_id, found.keyword, clock=clock):
        log.info("keyword %s: limit reached for contact %s", found.keyword, contact.id)
        return RuleOutcome()
    text = placeholders.render(found.answer, placeholders.for_contact(contact, settings))
    reply = _queue(contact, text, source=keywords.SOURCE, settings=settings, clock=clock)
    if reply is None:
        return RuleOutcome()
    reply.add_flag(f"kw:{found.keyword}")
    message.add_flag(FLAG_KEYWORD)
    audit.record(
        "automation", f"keyword answer “{found.keyword}” (message {reply.id})", clock=clock
    )
    return RuleOutcome(auto_replies=(reply.id,))


def away_rule(message: Message, settings: Settings, clock: Clock) -> RuleOutcome:
    if not settings.get("away_reply"):
        return RuleOutcome()
    hours = shop_hours(settings)
    if hours.always_open:
        return RuleOutcome()  # no opening hours set: the shop is never "closed"
    zone = settings.shop_zone()
    arrived = utc(message.created_at)
    if opening_hours.is_open(hours, arrived, zone):
        return RuleOutcome()
    contact = _recipient(message)
    if contact is None:
        return RuleOutcome()
    every = timedelta(hours=int(settings.get("away_every_hours")))
    recent = Message.select().where(
        (Message.conversation == message.conversation_id)
        & (Message.direction == OUT)
        & (Message.source == AWAY)
        & (Message.created_at > to_db(clock.now() - every))
    )
    if recent.exists():
        return RuleOutcome()
    base = placeholders.for_contact(contact, settings)
    values = placeholders.Values(
        first_name=base.first_name,
        name=base.name,
        shop=base.shop,
        signature=base.signature,
        next_open=opening_hours.describe_next_open(hours, arrived, zone),
    )
    text = placeholders.render(str(settings.get("away_text")), values)
    reply = _queue(contact, text, source=AWAY, settings=settings, clock=clock)
    if reply is None:
        return RuleOutcome()
    message.add_flag(FLAG_AWAY)
    audit.record("automation", f"away reply (message {reply.id})", clock=clock)
    return RuleOutcome(auto_replies=(reply.id,))
