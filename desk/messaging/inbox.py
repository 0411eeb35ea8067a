"""The inbox: every incoming SMS part is committed before the modem layer may delete it.

- Exactly once: each part gets a dedupe key (sender | SCTS | concat ref/total/seq | hash of the
  text or data); the same SMS read twice (a sweep after a crash) is recognised and stored once.
  Two different texts with the same sender, timestamp (to the second) and content cannot be told
  apart and are stored once.
- Multipart messages are reassembled from the stored ``IncomingPart`` rows, so a restart between
  parts loses nothing. Parts belong together when sender, concat reference and total match and
  their SMSC timestamps are within ``GROUP_WINDOW`` (references are only 8 bits and get reused).
  ``flush_incomplete`` turns parts still waiting after a timeout into one message marked
  ``incomplete`` with visible gap markers; when the rest arrives the same Message row is completed
  (state ``received``).
- With masking on, a part is written already masked, and the digits at its joins with the other
  parts hidden (desk.messaging.split_digits): a card number split between parts is never stored
  in clear while the message waits; the clear text is kept in memory only, for the assembly.
- Undecodable PDUs are kept verbatim in ``RawIncoming`` and reported once
  (``StoreResult.problem``; the same PDU again is a duplicate and says nothing).
- The rules that act on a message live above messaging (privacy, consent, appointments), so the
  inbox does not import them: the engine hands them in as ``IncomingRules`` (desk.engine.incoming)
  and every ``store_incoming`` / ``flush_incomplete`` call must pass them. ``is_sensitive`` runs on
  every assembled body (flag ``sensitive``); the ``on_complete`` rules run in order on a complete
  message, each in its own savepoint so a bug in one of them can never lose the message itself.
  A rule that fails is logged and reported in ``StoreResult.problem`` (a Problem event): a STOP
  that was not handled is something staff must see.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from desk.base import phones
from desk.base.clock import Clock, to_db, utc
from desk.messaging import joining, split_digits
from desk.messaging.contacts import contact_for_number, conversation_for, touch
from desk.messaging.joining import gap_marker as gap_marker
from desk.store import audit
from desk.store.db import db
from desk.store.models import IN, INCOMPLETE, RECEIVED, IncomingPart, Message, RawIncoming
from desk.store.settings import Settings
from modem.events import IncomingSms

log = logging.getLogger(__name__)

GROUP_WINDOW = timedelta(hours=6)  # SMSC timestamps of one multipart message's parts
DEFAULT_INCOMPLETE_TIMEOUT = timedelta(minutes=10)
UNKNOWN_SENDER = "unknown"


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule did with a complete incoming message."""

    auto_replies: tuple[int, ...] = ()  # messages it queued in answer (STOP confirmation, HELP)
    appointment_id: int | None = None  # the appointment the message answered
    final: bool = False  # the message was handled for good (a keyword): later rules skip it


@dataclass(frozen=True)
class MessageRule:
    """A named rule for a complete incoming message: ``run(message, settings, clock)``. It runs
    inside its own savepoint of the inbox's transaction; raising undoes what it wrote."""

    name: str
    run: Callable[[Message, Settings, Clock], RuleOutcome]


@dataclass(frozen=True)
class IncomingRules:
    """What the engine has the inbox run on incoming messages (see the module docstring)."""

    is_sensitive: Callable[[str], bool]
    on_complete: tuple[MessageRule, ...]
    # Hides what is_sensitive found (a card number -> its last four digits) before the body is
    # written, unless the mask_sensitive setting is off; None: bodies are kept as received.
    mask: Callable[[str], str] | None = None

    def __post_init__(self) -> None:
        if not callable(self.is_sensitive):
            raise TypeError("IncomingRules.is_sensitive must be a function of the text")
        if self.mask is not None and not callable(self.mask):
            raise TypeError("IncomingRules.mask must be a function of the text")
        if not all(isinstance(r, MessageRule) for r in self.on_complete):
            raise TypeError("IncomingRules.on_complete must hold MessageRule items")


@dataclass
class StoreResult:
    message_id: int | None
    conversation_id: int | None
    duplicate: bool
    complete: bool
    auto_replies: list[int] = field(default_factory=list)
    problem: str | None = None  # plain words for a Problem event (undecodable PDU)
    raw_id: int | None = None  # the RawIncoming row, for undecodable PDUs
    appointment_id: int | None = None  # the appointment this message answered, if any


# --- helpers ----------------------------------------------------------------------------------


def data_placeholder(data: bytes | None) -> str:
    size = len(data or b"")
    return f"[data message of {size} bytes, not text: it cannot be shown]"


def sender_number(number: str | None, number_type: str | None, default_country: str) -> str:
    """E.164 for phone numbers, alphanumeric senders as they are, short codes as digits."""
    raw = (number or "").strip()
    if not raw:
        return UNKNOWN_SENDER
    if number_type == "alphanumeric":
        return raw
    try:
        return phones.normalize(raw, default_country, allow_alphanumeric=True)
    except phones.InvalidNumber:
        return raw  # a short code or odd number: keep what the network gave


def dedupe_key(
    sender: str,
    timestamp: datetime | None,
    concat: tuple[int, int, int] | None,
    content: str,
) -> str:
    scts = utc(timestamp).strftime("%Y%m%dT%H%M%S") if timestamp else "-"
    cat = "{}/{}/{}".format(*concat) if concat else "-"
    digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return f"{sender}|{scts}|{cat}|{digest}"


def _scan_sensitive(text: str, rules: IncomingRules, problems: list[str]) -> bool:
    if not text:
        return False
    try:
        return bool(rules.is_sensitive(text))
    except Exception as exc:
        log.exception("the sensitive-data scan failed; message stored unflagged")
        problems.append(f"TextDesk could not check an incoming text for card numbers ({exc}).")
        return False


def _hiding(rules: IncomingRules, settings: Settings) -> bool:
    return rules.mask is not None and bool(settings.get("mask_sensitive"))


def _written_text(text: str, rules: IncomingRules, seq: int, total: int) -> str:
    """What is written of a part's text when masking is on (see split_digits)."""
    masked = rules.mask(text) if rules.mask is not None else text
    return split_digits.hide_joins(masked, leading=seq > 1, trailing=seq < total)


def _set_flag(message: Message, flag: str, on: bool = True) -> None:
    flags = [f for f in message.flag_list if f != flag]
    if on:
        flags.append(flag)
    message.flags = ",".join(flags)


# --- storing ----------------------------------------------------------------------------------


def _store_raw(event: IncomingSms, reason: str, clock: Clock) -> StoreResult:
    with db.atomic():
        existing = RawIncoming.get_or_none(RawIncoming.raw_data == event.raw)
        if existing is not None:
            return StoreResult(None, None, True, False, raw_id=existing.id)
        row = RawIncoming.create(
            raw_data=event.raw or "",
            error=reason,
            storage=event.storage,
            received_at=to_db(clock.now()),
        )
    # The SIM is the modem layer's: whether the slot is emptied is decided there (after checking
    # it still holds this very PDU), so the words say only what the inbox did.
    problem = (
        f"An incoming text could not be read ({reason}); its raw data is kept "
        f"(unreadable message #{row.id})."
    )
    return StoreResult(None, None, False, False, problem=problem, raw_id=row.id)


def store_incoming(
    event: IncomingSms, *, settings: Settings, clock: Clock, rules: IncomingRules
) -> StoreResult:
    """Commit one received SMS part (and its message when complete) before returning; ``rules``
    (required: there is no inbox without STOP handling) run on the assembled message."""
    pdu = event.pdu
    if pdu is None:
        return _store_raw(event, event.error or "the PDU could not be decoded", clock)
    if pdu.kind != "deliver":
        return _store_raw(event, f"a {pdu.kind} PDU arrived where a text was expected", clock)
    sender = sender_number(pdu.number, pdu.number_type, settings.get("default_country"))
    if pdu.text is None:
        text = data_placeholder(pdu.data)
        content = "data:" + (pdu.data or b"").hex()
    else:
        text = pdu.text
        content = text
    concat = pdu.concat if pdu.concat is not None and pdu.concat.total > 1 else None
    if concat is not None and not 1 <= concat.sequence <= concat.total:
        concat = None  # a broken header: show the part on its own rather than wait forever
    cat = (concat.reference, concat.total, concat.sequence) if concat else None
    raw = event.raw or ""
    written = text
    if pdu.text is not None and _hiding(rules, settings):
        written = _written_text(text, rules, cat[2] if cat else 1, cat[1] if cat else 1)
    # The key hashes what is written: a hash of a card number could be reversed by trial.
    key = dedupe_key(sender, pdu.timestamp, cat, content if written == text else written)
    keys = [key, dedupe_key(sender, pdu.timestamp, cat, content)]  # and as stored before masking
    now = to_db(clock.now())
    with db.atomic():
        existing = IncomingPart.get_or_none(IncomingPart.dedupe_key.in_(keys))
        if existing is not None:
            message = existing.message
            return StoreResult(
                message.id if message else None,
                message.conversation_id if message else None,
                duplicate=True,
                complete=message is not None and message.state == RECEIVED,
            )
        part = IncomingPart.create(
            dedupe_key=key,
            sender=sender,
            concat_ref=concat.reference if concat else None,
            total=concat.total if concat else 1,
            seq=concat.sequence if concat else 1,
            text=written,
            encoding=pdu.encoding,
            sender_time=to_db(pdu.timestamp),
            received_at=now,
            raw_data=raw if written == text else "",
        )
        clear = {part.id: (text, raw)}
        if concat is None:
            return _assemble([part], settings=settings, clock=clock, rules=rules, clear=clear)
        if written != text:
            split_digits.remember(key, text, raw)
        group = _group_for(part)
        if _is_complete(group) or any(p.message_id for p in group):
            return _assemble(group, settings=settings, clock=clock, rules=rules, clear=clear)
    return StoreResult(None, None, duplicate=False, complete=False)


def _is_complete(group: list[IncomingPart]) -> bool:
    total = group[0].total
    return {p.seq for p in group} >= set(range(1, total + 1))


def _distance(a: IncomingPart, b: IncomingPart) -> float:
    ta = a.sender_time or a.received_at
    tb = b.sender_time or b.received_at
    return abs((ta - tb).total_seconds())


def _group_for(part: IncomingPart) -> list[IncomingPart]:
    """The stored parts that belong to the same multipart message as ``part`` (one per seq)."""
    query = (
        IncomingPart.select(IncomingPart)
        .left_outer_join(Message, on=(IncomingPart.message == Message.id))
        .where(
            (IncomingPart.sender == part.sender)
            & (IncomingPart.concat_ref == part.concat_ref)
            & (IncomingPart.total == part.total)
            & (IncomingPart.message.is_null() | (Message.state == INCOMPLETE))
        )
    )
    window = GROUP_WINDOW.total_seconds()
    by_seq: dict[int, IncomingPart] = {}
    for candidate in query:
        if _distance(candidate, part) > window:
            continue
        if candidate.id == part.id:
            by_seq[candidate.seq] = candidate
            continue
        current = by_seq.get(candidate.seq)
        if current is None or (
            current.id != part.id and _distance(candidate, part) < _distance(current, part)
        ):
            by_seq[candidate.seq] = candidate
    by_seq[part.seq] = part
    # Only one incomplete message may own the group: parts of another one stay with it.
    owners = {p.message_id for p in by_seq.values() if p.message_id}
    if len(owners) > 1:
        keep = min(owners)
        by_seq = {s: p for s, p in by_seq.items() if p.message_id in (None, keep)}
    return [by_seq[s] for s in sorted(by_seq)]


def _assemble(
    group: list[IncomingPart],
    *,
    settings: Settings | None,
    clock: Clock,
    rules: IncomingRules,
    clear: joining.Texts | None = None,
) -> StoreResult:
    """Create (or update) the message for ``group``; run the after-complete rules if it is
    complete. Runs inside the caller's transaction. ``clear``: the clear text of the part just
    received (the others come from memory, or as stored)."""
    settings = settings or Settings()
    hiding = _hiding(rules, settings)
    complete = _is_complete(group)
    texts = joining.texts(group, clear)
    body = joining.body(group, texts, hiding)
    hidden = hiding and bool(joining.lost(group, texts))  # digits hidden for good
    owner_id = next((p.message_id for p in group if p.message_id), None)
    first = group[0]
    times = [p.sender_time for p in group if p.sender_time]
    state = RECEIVED if complete else INCOMPLETE
    if owner_id is not None:
        message = Message.get_by_id(owner_id)
        count_unread = message.read  # already counted while unread
        message.body = body
        message.state = state
        message.read = False
        message.sender_time = min(times) if times else message.sender_time
        conversation = message.conversation
    else:
        contact = contact_for_number(first.sender, clock=clock)
        conversation = conversation_for(contact, clock=clock)
        count_unread = True
        message = Message(
            conversation=conversation,
            direction=IN,
            body=body,
            encoding=first.encoding,
            parts=first.total,
            state=state,
            created_at=to_db(clock.now()),
            sender_time=min(times) if times else None,
            read=False,
            source="modem",
            dedupe_key="m:" + first.dedupe_key,
        )
    problems: list[str] = []
    sensitive = _scan_sensitive(body, rules, problems)
    _set_flag(message, "sensitive", sensitive)
    masking = sensitive and hiding
    if masking and rules.mask is not None:
        # Hidden before anything is written: the full number never reaches the message row
        # or its search index; the parts lose their text and raw PDU in this transaction.
        message.body = rules.mask(body)
    message.masked = masking or hidden or body != joining.body(group, texts, False)
    message.save()
    ids = [p.id for p in group if p.message_id != message.id]
    if ids:
        IncomingPart.update(message=message.id).where(IncomingPart.id.in_(ids)).execute()
    if masking and rules.mask is not None:
        for part in group:
            IncomingPart.update(text=rules.mask(part.text), raw_data="").where(
                IncomingPart.id == part.id
            ).execute()
        audit.record("masked", f"message {message.id}: hidden as it arrived", clock=clock)
    touch(conversation, message, count_unread=count_unread)
    replies: list[int] = []
    appointment_id = None
    if complete:
        replies, appointment_id = _after_complete(
            message, settings=settings, clock=clock, rules=rules, problems=problems
        )
    return StoreResult(
        message.id,
        conversation.id,
        duplicate=False,
        complete=complete,
        auto_replies=replies,
        problem=" ".join(problems) or None,
        appointment_id=appointment_id,
    )


def _after_complete(
    message: Message,
    *,
    settings: Settings,
    clock: Clock,
    rules: IncomingRules,
    problems: list[str],
) -> tuple[list[int], int | None]:
    """The rules in order, each in a savepoint: a failure is logged, undone and added to
    ``problems``, and the message itself is still stored. A rule whose outcome is ``final``
    ends the list. Returns (auto reply ids, appointment id)."""
    replies: list[int] = []
    appointment_id: int | None = None
    for rule in rules.on_complete:
        try:
            with db.atomic():
                outcome = rule.run(message, settings, clock)
        except Exception as exc:
            log.exception("%s failed for message %s (message kept)", rule.name, message.id)
            problems.append(
                f"TextDesk could not apply its {rule.name} rule to incoming message "
                f"#{message.id} ({exc}); please read it and act on it by hand."
            )
            message = Message.get_by_id(message.id)  # what the undone savepoint left stored
            continue
        replies.extend(outcome.auto_replies)
        if outcome.appointment_id is not None:
            appointment_id = outcome.appointment_id
        if outcome.final:
            break
    return replies, appointment_id


# --- incomplete multipart ---------------------------------------------------------------------


def flush_incomplete(
    *,
    clock: Clock,
    rules: IncomingRules,
    timeout: timedelta | float = DEFAULT_INCOMPLETE_TIMEOUT,
) -> list[int]:
    """Parts waiting longer than ``timeout`` become one message marked ``incomplete`` (with gap
    markers); returns the ids of messages created. Completed later if the rest arrives."""
    if not isinstance(timeout, timedelta):
        timeout = timedelta(seconds=timeout)
    cutoff = to_db(clock.now() - timeout)
    created: list[int] = []
    with db.atomic():
        waiting = (
            IncomingPart.select()
            .where(
                IncomingPart.message.is_null()
                & IncomingPart.concat_ref.is_null(False)
                & (IncomingPart.received_at <= cutoff)
            )
            .order_by(IncomingPart.received_at, IncomingPart.id)
        )
        done: set[int] = set()
        for part in waiting:
            if part.id in done:
                continue
            group = [p for p in _group_for(part) if p.message_id is None]
            done.update(p.id for p in group)
            result = _assemble(group, settings=None, clock=clock, rules=rules)
            if result.message_id is not None:
                created.append(result.message_id)
    return created
