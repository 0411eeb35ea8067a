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
from desk.demo.appointments import Booking, booked_for, offset_of, start_for
from desk.demo.sample_data import (
    APPOINTMENTS,
    BOOKED,
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
from desk.store.settings import Settings, ZoneUnknown

__all__ = ["DemoSummary", "populate"]

DEMO_ZONE = "America/New_York"


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
        try:  # the reminders' texts say the appointments' times in the shop's zone
            settings.shop_zone()
        except ZoneUnknown:  # this computer does not say: the demo numbers' (Washington DC)
            settings.set("timezone", DEMO_ZONE)
        for template, body in TEMPLATES.items():
            m.Template.create(name=template, body=body)
        for name, number, tags, notes, ago, thread in CUSTOMERS:
            last_at = now - timedelta(minutes=ago)
            booked = APPOINTMENTS.get(name or "")
            if booked is not None:  # the thread placed from the appointment's start
                starts = start_for(last_at, booked[1])
                last_at = starts - timedelta(minutes=booked[1])
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
            booking = None
            if booked is not None:
                booking = Booking.create(contact, booked[0], starts, settings=settings)
            ahead = BOOKED.get(name or "")
            if ahead is not None:
                at = booked_for(now, ahead[1], ahead[2], settings=settings)
                # booked with the text that names it, else a day before the thread begins
                said = [before for _, text, before, _ in thread if "{when}" in text]
                made = said[0] if said else max(before for _, _, before, _ in thread) + 24 * 60
                made_at = last_at - timedelta(minutes=made)
                booking = Booking.create(contact, ahead[0], at, settings=settings, booked=made_at)
            unread = 0
            last = None
            for direction, text, before, state in thread:
                at = last_at - timedelta(minutes=before)
                offset = offset_of(text)
                if offset is not None:
                    if booking is None or booking.due(offset) != at:
                        raise ValueError(f"demo data: {name}'s reminder is not where it was due")
                    text = booking.text(offset)
                elif booking is not None:
                    text = booking.words(text)
                last = _message(conv, direction, text, at, state, name)
                if booking is not None and offset is not None:
                    booking.reminder_sent(offset, last)
                elif booking is not None and direction == m.IN:
                    booking.customer_wrote(last)
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
            if booking is not None:
                booking.finish(now)
            if name == OPTED_OUT:
                m.ConsentEvent.create(
                    contact=contact,
                    number=number,
                    kind="opt_out",
                    method="keyword",
                    text="STOP",
                    at=to_db(last_at - timedelta(minutes=20)),
                )
        _long_history(now, settings)
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


def _long_history(now: datetime, settings: Settings) -> None:
    """Give Maria a year of appointments (reminded the day before, confirmed with C) so scrolling
    up loads older days."""
    maria = m.Contact.get(m.Contact.name == "Maria Lopez")
    conv = m.Conversation.get(m.Conversation.contact == maria)
    for month in range(12, 0, -1):
        starts = start_for(now - timedelta(days=30 * month + 1), 0)
        booking = Booking.create(
            maria, "cleaning", starts, settings=settings, offsets=[DAY], text=_DAY_BEFORE
        )
        reminded = booking.due(DAY)
        booking.reminder_sent(
            DAY, _message(conv, m.OUT, booking.text(DAY), reminded, None, maria.name)
        )
        answer = _message(conv, m.IN, "C", reminded + timedelta(minutes=5), None, maria.name)
        booking.customer_wrote(answer)
        thanks = "Thanks Maria, see you then!"
        _message(conv, m.OUT, thanks, reminded + timedelta(minutes=10), None, maria.name)
        booking.finish(now)


DAY = 24 * 60
_DAY_BEFORE = (
    "Hi {first_name}, a reminder of your appointment tomorrow at {time}. Reply C to confirm."
)
