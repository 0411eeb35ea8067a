"""``textdesk --demo`` and the screenshots: fill a database with the demo shop (a dental practice).

``populate()`` writes straight through the models, so call it before the engine starts (the one
writer) or through ``engine.call(populate, ...)``. The data itself is in ``desk.demo.sample_data``;
the in-process virtual modem for the demo and the self-test is ``desk.demo.virtual``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from desk.base.clock import Clock, SystemClock, to_db
from desk.compliance import privacy
from desk.demo.sample_data import (
    CALLBACK,
    CUSTOMERS,
    DONE,
    ERRORS,
    MASKED,
    OPTED_OUT,
    SHOP,
    SIGNATURE,
    TEMPLATES,
    UNREAD,
)
from desk.store import models as m
from desk.store.db import db
from desk.store.settings import Settings

__all__ = ["DemoSummary", "populate"]


@dataclass(frozen=True)
class DemoSummary:
    contacts: int
    conversations: int
    messages: int


def populate(*, clock: Clock | None = None, settings: Settings | None = None) -> DemoSummary:
    """Fill an empty database with the demo shop. Idempotent: does nothing if contacts exist."""
    clock = clock or SystemClock()
    settings = settings or Settings()
    now = clock.now()
    n_msgs = 0
    with db.atomic():
        if m.Contact.select().exists():
            return DemoSummary(m.Contact.select().count(), m.Conversation.select().count(), 0)
        settings.set("shop_name", SHOP)
        settings.set("signature", SIGNATURE)
        settings.set("staff_name", "Anna")
        for template, body in TEMPLATES.items():
            m.Template.create(name=template, body=body)
        for name, number, tags, notes, ago, thread in CUSTOMERS:
            last_at = now - timedelta(minutes=ago)
            contact = m.Contact.create(
                number=number,
                name=name,
                tags=tags,
                notes=notes,
                opted_out=name == OPTED_OUT,
                callback_requested=name == CALLBACK,
                created_at=to_db(last_at - timedelta(days=200)),
            )
            conv = m.Conversation.create(
                contact=contact,
                status=m.DONE if name in DONE else m.OPEN,
                last_activity_at=to_db(last_at),
            )
            unread = 0
            last = None
            for direction, text, before, state in thread:
                at = last_at - timedelta(minutes=before)
                last = _message(conv, direction, text, at, state, name)
                n_msgs += 1
                if direction == m.IN and name in UNREAD and before == 0:
                    unread += 1
            assert last is not None
            if name in UNREAD and last.direction == m.IN:
                last.read = False
                last.save(only=[m.Message.read])
            conv.unread = unread
            conv.last_preview = last.body[:120]
            conv.last_direction = last.direction
            cause = {m.FAILED: m.ATTENTION_FAILED, m.UNCERTAIN: m.ATTENTION_UNCERTAIN}
            conv.attention = cause.get(last.state, "")
            conv.needs_attention = bool(conv.attention)
            conv.save()
            if name == OPTED_OUT:
                m.ConsentEvent.create(
                    contact=contact,
                    number=number,
                    kind="opt_out",
                    method="keyword",
                    text="STOP",
                    at=to_db(last_at - timedelta(minutes=20)),
                )
        _long_history(now)
    return DemoSummary(m.Contact.select().count(), m.Conversation.select().count(), n_msgs)


def _message(
    conv: m.Conversation,
    direction: str,
    text: str,
    at: datetime,
    state: str | None,
    name: str | None,
) -> m.Message:
    from modem.codec.pdu import plan

    p = plan(text)
    outgoing = direction == m.OUT
    masked = direction == m.IN and name == MASKED
    state = state or (m.DELIVERED if outgoing else m.RECEIVED)
    return m.Message.create(
        conversation=conv,
        direction=direction,
        body=privacy.mask(text) if masked else text,
        encoding=p.encoding,
        parts=p.parts,
        parts_sent=p.parts if state in (m.SENT, m.DELIVERED) else 0,
        state=state,
        error=ERRORS.get(state),
        created_at=to_db(at),
        sent_at=to_db(at + timedelta(seconds=4)) if state in (m.SENT, m.DELIVERED) else None,
        delivered_at=to_db(at + timedelta(seconds=9)) if state == m.DELIVERED else None,
        sender_time=to_db(at - timedelta(seconds=3)) if not outgoing else None,
        staff="Anna" if outgoing else None,
        source="staff" if outgoing else "",
        masked=masked,
        flags="sensitive" if masked else "",
    )


def _long_history(now: datetime) -> None:
    """Give Maria a year of appointments so scrolling up loads older days."""
    conv = m.Conversation.get(
        m.Conversation.contact == m.Contact.get(m.Contact.name == "Maria Lopez")
    )
    rows = []
    for month in range(12, 0, -1):
        at = now - timedelta(days=30 * month + 2)
        for i, (direction, text) in enumerate(
            [
                (m.OUT, "Hi Maria, a reminder of your appointment tomorrow. Reply C to confirm."),
                (m.IN, "C"),
                (m.OUT, "Thanks Maria, see you then!"),
            ]
        ):
            t = at + timedelta(minutes=5 * i)
            rows.append(
                {
                    "conversation": conv,
                    "direction": direction,
                    "body": text,
                    "state": m.DELIVERED if direction == m.OUT else m.RECEIVED,
                    "created_at": to_db(t),
                    "sent_at": to_db(t) if direction == m.OUT else None,
                    "delivered_at": to_db(t) if direction == m.OUT else None,
                    "parts_sent": 1 if direction == m.OUT else 0,
                }
            )
    m.Message.insert_many(rows).execute()
