"""Why a conversation needs a person: the causes in ``conversation.attention``, one writer.

Each cause is raised where it happens and cleared where it ends, through these helpers only, so
``needs_attention`` is always "some cause is there" and the "Needs attention" filter, its count
and the conversation list's markers (one per cause) read the same thing:

- ``failed`` / ``uncertain``: an outgoing text failed, or may or may not have gone out. Raised by
  the send paths; ``settle_sends`` ends them wherever a text leaves those states (resent, marked
  as sent, deleted) once none is left, and ``settle_all`` at start-up. Done does not clear them.
- ``optout_text``: the customer asked in words to stop; cleared by the consent decision that
  follows (opted out by staff or a STOP keyword, or back in by START).
- ``appointment_reply``: the customer asked to move an appointment; cleared once no appointment
  of theirs is still marked so (moved, confirmed, cancelled).
- ``reminder_late``: a reminder could not go before its appointment; cleared when staff handle it
  (the thread's "Got it", a reply to the customer, or Done).
- ``earlier``: flagged before schema 5 recorded causes; Done clears it, as Done cleared the flag.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from desk.store.db import db
from desk.store.models import (
    ATTENTION_APPOINTMENT,
    ATTENTION_EARLIER,
    ATTENTION_FAILED,
    ATTENTION_OPTOUT_TEXT,
    ATTENTION_REMINDER_LATE,
    ATTENTION_UNCERTAIN,
    FAILED,
    OUT,
    UNCERTAIN,
    Conversation,
    Message,
)

CAUSES = (
    ATTENTION_FAILED,
    ATTENTION_UNCERTAIN,
    ATTENTION_OPTOUT_TEXT,
    ATTENTION_APPOINTMENT,
    ATTENTION_REMINDER_LATE,
    ATTENTION_EARLIER,
)
SEND_CAUSES = {FAILED: ATTENTION_FAILED, UNCERTAIN: ATTENTION_UNCERTAIN}
# What Done clears: the causes that are a note to staff, not a state of a text or a customer.
CLEARED_BY_DONE = (ATTENTION_REMINDER_LATE, ATTENTION_EARLIER)


def _ordered(causes: Iterable[str]) -> str:
    have = set(causes)
    unknown = sorted(have - set(CAUSES))
    if unknown:
        raise ValueError(f"unknown attention cause {', '.join(unknown)}")
    return ",".join(c for c in CAUSES if c in have)


def _write(conversation_id: int, change: set[str], *, add: bool) -> None:
    # Plain SQL (``?``; the server database turns them into ``%s``): a staff reply passes here
    # on the core thread, and building the two statements through peewee cost more than
    # running them. The UPDATE runs only when the causes or the flag change.
    row = db.execute_sql(
        "SELECT attention, needs_attention FROM conversation WHERE id = ?", (conversation_id,)
    ).fetchone()
    if row is None:
        return
    stored, flag = str(row[0] or ""), bool(row[1])
    now = {c for c in stored.split(",") if c}
    new = now | change if add else now - change
    text = _ordered(new)
    if text != stored or flag != bool(text):
        db.execute_sql(
            "UPDATE conversation SET attention = ?, needs_attention = ? WHERE id = ?",
            (text, Conversation.needs_attention.db_value(bool(text)), conversation_id),  # type: ignore[no-untyped-call]
        )


def raise_cause(conversation_id: int, *causes: str) -> None:
    """The conversation needs a person for ``causes`` (kept until each is cleared)."""
    _write(conversation_id, set(causes), add=True)


def clear_cause(conversation_id: int, *causes: str) -> None:
    """``causes`` have ended (the others stay)."""
    _write(conversation_id, set(causes), add=False)


def _rows(query: Any) -> list[tuple[Any, ...]]:
    return list(cast("Iterable[tuple[Any, ...]]", query.tuples()))


def conversations_of(contact_id: int) -> list[int]:
    """The contact's conversation ids (one today), for a cause that belongs to the customer."""
    query = Conversation.select(Conversation.id).where(Conversation.contact == contact_id)
    return [int(cid) for (cid,) in _rows(query)]


def _send_states(conversation_ids: list[int]) -> dict[int, set[str]]:
    """Per conversation, the failed / uncertain states its outgoing texts are in."""
    found: dict[int, set[str]] = {cid: set() for cid in conversation_ids}
    for start in range(0, len(conversation_ids), 500):
        query = (
            Message.select(Message.conversation, Message.state)
            .where(
                Message.conversation.in_(conversation_ids[start : start + 500])
                & (Message.direction == OUT)
                & Message.state.in_(list(SEND_CAUSES))
            )
            .distinct()
        )
        for cid, state in _rows(query):
            found[int(cid)].add(str(state))
    return found


def settle_sends(conversation_id: int) -> None:
    """``failed`` / ``uncertain`` end once no outgoing text of the conversation is in that state
    (resent, marked as sent, deleted). Only the send paths raise them: a text refused because
    the customer opted out fails without an alarm, and settling never raises one for it."""
    states = _send_states([conversation_id])[conversation_id]
    clear_cause(conversation_id, *(c for s, c in SEND_CAUSES.items() if s not in states))


def settle_all() -> int:
    """At start-up: every flagged conversation's send causes settled (``settle_sends``) and its
    ``needs_attention`` made "some cause is there", so nothing is marked for a cause that ended
    while TextDesk was not looking. Returns how many conversations changed."""
    flagged = Conversation.select(
        Conversation.id, Conversation.attention, Conversation.needs_attention
    ).where((Conversation.attention != "") | (Conversation.needs_attention == True))  # noqa: E712
    rows = {int(cid): (str(a or ""), bool(n)) for cid, a, n in _rows(flagged)}
    ids = sorted(rows)
    changed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        states = _send_states(chunk)
        for cid in chunk:
            causes, flag = rows[cid]
            ended = {c for s, c in SEND_CAUSES.items() if s not in states[cid]}
            text = _ordered(c for c in causes.split(",") if c and c not in ended)
            if text != causes or flag != bool(text):
                Conversation.update(attention=text, needs_attention=bool(text)).where(
                    Conversation.id == cid
                ).execute()
                changed += 1
    return changed
