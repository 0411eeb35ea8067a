"""Read-only queries for the window: small, indexed, fast on 1M messages / 20k contacts.

No Qt here. The GUI thread calls these through its own SQLite connection (WAL readers never block
the engine's writer). Rows come back as frozen dataclasses with aware UTC datetimes; nothing here
writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, cast

import peewee as pw

from desk.base.phones import display
from desk.read import unreadable
from desk.store import models as m

FILTERS = ("all", "unread", "open", "callback", "attention", "mine", "unassigned")
PAGE = 200

# One row of a ``.tuples()`` query: SQLite's values in the order selected.
_Row = tuple[Any, ...]


def _tuples(query: pw.ModelSelect[Any]) -> Iterator[_Row]:
    """The rows of ``query`` as tuples (types-peewee types ``.tuples()`` as the model query)."""
    return cast(Iterator[_Row], iter(query.tuples()))


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- conversations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationRow:
    id: int
    contact_id: int
    name: str | None
    number: str
    preview: str
    last_activity_at: datetime
    last_direction: str | None
    unread: int
    status: str
    opted_out: bool
    callback_requested: bool
    needs_attention: bool
    attention: tuple[str, ...] = ()  # why (models.ATTENTION_*), schema 5
    assigned_to: str | None = None  # the staff member it is assigned to (schema 7)

    def title(self, country: str = "US") -> str:
        return self.name or display(self.number, country)


def _filtered(
    query: pw.ModelSelect[m.Conversation], filter: str, staff: str | None = None
) -> pw.ModelSelect[m.Conversation]:
    """``staff``: who "mine" means (None: nobody signed in, so nothing is theirs)."""
    if filter not in FILTERS:
        raise ValueError(f"unknown filter {filter!r}; known: {', '.join(FILTERS)}")
    if filter == "unread":
        return query.where(m.Conversation.unread > 0)
    if filter == "open":
        return query.where(m.Conversation.status == m.OPEN)
    if filter == "callback":
        return query.join(m.Contact).where(m.Contact.callback_requested == True)  # noqa: E712
    if filter == "attention":  # some cause is there (desk.store.attention), as the markers say
        return query.where(m.Conversation.attention != "")
    if filter == "mine":  # nobody signed in: nothing is theirs (== None would be IS NULL)
        return query.where(m.Conversation.assigned_to == staff if staff else pw.SQL("1 = 0"))
    if filter == "unassigned":
        return query.where(m.Conversation.assigned_to.is_null())
    return query


def conversation_ids(
    filter: str = "all", *, limit: int = PAGE, offset: int = 0, staff: str | None = None
) -> list[int]:
    """Conversation ids, newest activity first (ties: newest id first); ``staff``: whose "mine"."""
    query = _filtered(m.Conversation.select(m.Conversation.id), filter, staff)
    query = query.order_by(m.Conversation.last_activity_at.desc(), m.Conversation.id.desc())
    return [row[0] for row in _tuples(query.limit(limit).offset(offset))]


_CONV_FIELDS = (
    m.Conversation.id,
    m.Contact.id,
    m.Contact.name,
    m.Contact.number,
    m.Conversation.last_preview,
    m.Conversation.last_activity_at,
    m.Conversation.last_direction,
    m.Conversation.unread,
    m.Conversation.status,
    m.Contact.opted_out,
    m.Contact.callback_requested,
    m.Conversation.needs_attention,
    m.Conversation.attention,
    m.Conversation.assigned_to,
)


def _conv_row(t: _Row) -> ConversationRow:
    return ConversationRow(
        id=t[0],
        contact_id=t[1],
        name=t[2],
        number=t[3],
        preview=t[4] or "",
        last_activity_at=_aware(t[5]) or datetime.now(UTC),
        last_direction=t[6],
        unread=t[7] or 0,
        status=t[8],
        opted_out=bool(t[9]),
        callback_requested=bool(t[10]),
        needs_attention=bool(t[11]),
        attention=tuple(c for c in (t[12] or "").split(",") if c),
        assigned_to=t[13],
    )


def conversation_rows(ids: list[int]) -> dict[int, ConversationRow]:
    """The rows for ``ids`` (any order; missing ids were removed)."""
    out: dict[int, ConversationRow] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = m.Conversation.select(*_CONV_FIELDS).join(m.Contact)
        for t in _tuples(query.where(m.Conversation.id.in_(chunk))):
            out[t[0]] = _conv_row(t)
    return out


def conversation_row(conversation_id: int) -> ConversationRow | None:
    return conversation_rows([conversation_id]).get(conversation_id)


def conversation_for_contact(contact_id: int) -> int | None:
    row = m.Conversation.select(m.Conversation.id).where(m.Conversation.contact == contact_id)
    found = row.tuples().first()
    return found[0] if found else None


def conversation_for_number(number: str) -> int | None:
    found = (
        m.Conversation.select(m.Conversation.id)
        .join(m.Contact)
        .where(m.Contact.number == number)
        .tuples()
        .first()
    )
    return found[0] if found else None


@dataclass(frozen=True)
class Counts:
    all: int
    unread: int  # conversations with something unread
    open: int
    callback: int
    unread_messages: int
    attention: int = 0  # conversations that need a person
    mine: int = 0  # assigned to the staff member signed in here
    unassigned: int = 0


def counts(staff: str | None = None) -> Counts:
    """The filters' counts; ``staff``: whose "mine" (None: nobody signed in, 0)."""
    sql = (
        # CASE WHEN, not SUM(condition): PostgreSQL has no SUM over booleans
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN c.unread > 0 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN c.status = ? THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN k.callback_requested THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(c.unread), 0), "
        "COALESCE(SUM(CASE WHEN c.attention <> '' THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN c.assigned_to = ? THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN c.assigned_to IS NULL THEN 1 ELSE 0 END), 0) "
        "FROM conversation c JOIN contact k ON k.id = c.contact_id"
    )
    row = m.Conversation._meta.database.execute_sql(sql, (m.OPEN, staff or None)).fetchone()
    return Counts(*(int(v or 0) for v in row))


def queue_size() -> int:
    return (
        m.Message.select()
        .where(m.Message.direction == m.OUT, m.Message.state.in_([m.QUEUED, m.SENDING]))
        .count()
    )


# --- messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRow:
    id: int
    conversation_id: int
    direction: str
    body: str
    encoding: str
    parts: int
    parts_sent: int
    state: str
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    sender_time: datetime | None
    staff: str | None
    source: str
    automated: bool
    masked: bool
    flags: tuple[str, ...]
    # why a queued text waits (schema 5; desk.messaging.holds reads them into words)
    error_code: int | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None  # a retry after a temporary modem error
    not_before: datetime | None = None  # quiet hours, or a time it was scheduled for
    held_reason: str | None = None  # models.HELD_*
    held_until: datetime | None = None
    priority: int = 0

    @property
    def outgoing(self) -> bool:
        return self.direction == m.OUT

    @property
    def incomplete(self) -> bool:
        return self.state == m.INCOMPLETE

    @property
    def key(self) -> tuple[datetime, int]:
        return (self.created_at, self.id)


_MSG_FIELDS = (
    m.Message.id,
    m.Message.conversation,
    m.Message.direction,
    m.Message.body,
    m.Message.encoding,
    m.Message.parts,
    m.Message.parts_sent,
    m.Message.state,
    m.Message.error,
    m.Message.created_at,
    m.Message.sent_at,
    m.Message.delivered_at,
    m.Message.sender_time,
    m.Message.staff,
    m.Message.source,
    m.Message.automated,
    m.Message.masked,
    m.Message.flags,
    m.Message.error_code,
    m.Message.attempts,
    m.Message.next_attempt_at,
    m.Message.not_before,
    m.Message.held_reason,
    m.Message.held_until,
    m.Message.priority,
)


def _msg_row(t: _Row) -> MessageRow:
    return MessageRow(
        id=t[0],
        conversation_id=t[1],
        direction=t[2],
        body=t[3] or "",
        encoding=t[4],
        parts=t[5] or 1,
        parts_sent=t[6] or 0,
        state=t[7],
        error=t[8],
        created_at=_aware(t[9]) or datetime.now(UTC),
        sent_at=_aware(t[10]),
        delivered_at=_aware(t[11]),
        sender_time=_aware(t[12]),
        staff=t[13],
        source=t[14] or "",
        automated=bool(t[15]),
        masked=bool(t[16]),
        flags=tuple(f for f in (t[17] or "").split(",") if f),
        error_code=t[18],
        attempts=t[19] or 0,
        next_attempt_at=_aware(t[20]),
        not_before=_aware(t[21]),
        held_reason=t[22],
        held_until=_aware(t[23]),
        priority=t[24] or 0,
    )


@dataclass(frozen=True)
class ThreadPage:
    messages: list[MessageRow]  # oldest first
    has_more: bool  # older messages exist before messages[0]


def thread_page(
    conversation_id: int,
    *,
    before: tuple[datetime, int] | None = None,
    limit: int = 100,
    zone: tzinfo = UTC,
    day_cap: int = 1000,
) -> ThreadPage:
    """The newest ``limit`` messages older than ``before`` (a MessageRow.key), extended back to the
    start of the oldest local day they touch (at most ``day_cap`` extra), so a day is never split
    across pages. Uses the (conversation, created_at) index: fast in a 1M-message database."""
    query = m.Message.select(*_MSG_FIELDS).where(m.Message.conversation == conversation_id)
    if before is not None:
        at = before[0].astimezone(UTC).replace(tzinfo=None)
        query = query.where(
            (m.Message.created_at < at)
            | ((m.Message.created_at == at) & (m.Message.id < before[1]))
        )
    order = (m.Message.created_at.desc(), m.Message.id.desc())
    rows = [_msg_row(t) for t in _tuples(query.order_by(*order).limit(limit + 1))]
    has_more = len(rows) > limit
    rows = rows[:limit]
    if has_more and rows:
        oldest = rows[-1]
        local = oldest.created_at.astimezone(zone)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
        at = oldest.created_at.replace(tzinfo=None)
        extra_q = (
            m.Message.select(*_MSG_FIELDS)
            .where(
                m.Message.conversation == conversation_id,
                m.Message.created_at >= start.replace(tzinfo=None),
                (m.Message.created_at < at)
                | ((m.Message.created_at == at) & (m.Message.id < oldest.id)),
            )
            .order_by(*order)
            .limit(day_cap + 1)
        )
        extra = [_msg_row(t) for t in _tuples(extra_q)]
        rows.extend(extra[:day_cap])
        if len(extra) <= day_cap:
            rest = m.Message.select(m.Message.id).where(
                m.Message.conversation == conversation_id,
                m.Message.created_at < start.replace(tzinfo=None),
            )
            has_more = rest.limit(1).exists()
    rows.reverse()
    return ThreadPage(rows, has_more)


def message_row(message_id: int) -> MessageRow | None:
    found = m.Message.select(*_MSG_FIELDS).where(m.Message.id == message_id).tuples().first()
    return _msg_row(found) if found else None


def attention_messages(conversation_id: int, *, recent: int = 200) -> list[MessageRow]:
    """Outgoing messages that need a person (failed or uncertain) among the ``recent`` newest of
    this conversation, oldest first. Bounded, so a 50k-message thread with a thousand old
    failures still opens at once; older ones keep their state on their bubbles."""
    sql = (
        "SELECT id, direction, state FROM message WHERE conversation_id = ? "
        "ORDER BY created_at DESC, id DESC LIMIT ?"
    )
    cursor = m.Message._meta.database.execute_sql(sql, (conversation_id, recent))
    ids = [i for i, d, st in cursor.fetchall() if d == m.OUT and st in (m.FAILED, m.UNCERTAIN)]
    if not ids:
        return []
    query = (
        m.Message.select(*_MSG_FIELDS)
        .where(m.Message.id.in_(ids))
        .order_by(m.Message.created_at, m.Message.id)
    )
    return [_msg_row(t) for t in _tuples(query)]


def unreadable_in_thread(
    conversation_id: int, *, country: str, limit: int = 50
) -> list[unreadable.UnreadableRow]:
    """Messages from this conversation's customer that TextDesk could not read, oldest first
    (the ``limit`` newest), for the thread to place by ``received_at`` (aware UTC) among the
    MessageRows and show as ``note`` ("this message could not be read; the raw data is kept"),
    never the raw data (it may be damaged, and nothing in it could be masked). ``country``:
    the shop's default, to read national-format senders as the inbox does. One whose sender
    cannot be read belongs to no thread (the export lists it)."""
    query = m.Contact.select(m.Contact.number).join(m.Conversation)
    number = query.where(m.Conversation.id == conversation_id).scalar()
    if not number:
        return []
    return unreadable.unreadable_from([str(number)], default_country=country, limit=limit)


# --- contacts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactDetails:
    id: int
    name: str | None
    number: str
    notes: str
    tags: tuple[str, ...]
    timezone: str | None
    opted_out: bool
    callback_requested: bool
    created_at: datetime
    conversation_id: int | None
    status: str | None

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0] if self.name else ""


def contact_details(contact_id: int) -> ContactDetails | None:
    c = m.Contact.get_or_none(m.Contact.id == contact_id)
    if c is None:
        return None
    conv = (
        m.Conversation.select(m.Conversation.id, m.Conversation.status)
        .where(m.Conversation.contact == contact_id)
        .tuples()
        .first()
    )
    return ContactDetails(
        id=c.id,
        name=c.name,
        number=c.number,
        notes=c.notes or "",
        tags=tuple(c.tag_list),
        timezone=c.timezone,
        opted_out=bool(c.opted_out),
        callback_requested=bool(c.callback_requested),
        created_at=_aware(c.created_at) or datetime.now(UTC),
        conversation_id=conv[0] if conv else None,
        status=conv[1] if conv else None,
    )


def contact_for_conversation(conversation_id: int) -> int | None:
    found = (
        m.Conversation.select(m.Conversation.contact)
        .where(m.Conversation.id == conversation_id)
        .tuples()
        .first()
    )
    return found[0] if found else None


@dataclass(frozen=True)
class ConsentRow:
    at: datetime
    kind: str  # opt_out, opt_in, help, optout_text
    method: str  # keyword, staff, import, erasure
    text: str | None


def consent_history(contact_id: int, *, limit: int = 50) -> list[ConsentRow]:
    """Newest first; matched by contact and by number (an opt-out outlives an erased contact)."""
    number = m.Contact.select(m.Contact.number).where(m.Contact.id == contact_id).scalar()
    cond = m.ConsentEvent.contact == contact_id
    if number:
        cond = cond | (m.ConsentEvent.number == number)
    query = (
        m.ConsentEvent.select(
            m.ConsentEvent.at, m.ConsentEvent.kind, m.ConsentEvent.method, m.ConsentEvent.text
        )
        .where(cond)
        .order_by(m.ConsentEvent.at.desc(), m.ConsentEvent.id.desc())
        .limit(limit)
    )
    return [ConsentRow(_aware(t[0]) or datetime.now(UTC), t[1], t[2], t[3]) for t in _tuples(query)]
