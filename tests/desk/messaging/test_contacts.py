"""Contacts and conversations: get-or-create, touch (unread, preview, reopen), time zones."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from desk.base.clock import to_db
from desk.messaging.contacts import (
    contact_for_number,
    contact_zone,
    conversation_for,
    is_textable,
    preview,
    touch,
)
from desk.store.models import DONE, IN, OPEN, OUT, Contact, Conversation, Message

ANNA = "+12015550123"


def test_contact_and_conversation_are_created_once(database, clock):
    a = contact_for_number(ANNA, clock=clock)
    b = contact_for_number(ANNA, clock=clock)
    assert a.id == b.id and Contact.select().count() == 1
    assert a.created_at == to_db(clock.now()) and not a.opted_out
    c1 = conversation_for(a, clock=clock)
    c2 = conversation_for(b, clock=clock)
    assert c1.id == c2.id and Conversation.select().count() == 1
    assert c1.status == OPEN and c1.unread == 0


def _message(conversation, direction, body, clock, *, read):
    return Message.create(
        conversation=conversation,
        direction=direction,
        body=body,
        state="received" if direction == IN else "queued",
        created_at=to_db(clock.now()),
        read=read,
    )


def test_touch_counts_unread_reopens_and_previews(database, clock):
    conversation = conversation_for(contact_for_number(ANNA, clock=clock), clock=clock)
    conversation.status = DONE
    conversation.save()
    clock.advance(60)
    incoming = _message(conversation, IN, "Hi\nthere  again", clock, read=False)
    touch(conversation, incoming)
    fresh = Conversation.get_by_id(conversation.id)
    assert (fresh.unread, fresh.status, fresh.last_direction) == (1, OPEN, IN)
    assert fresh.last_preview == "Hi there again"
    assert fresh.last_activity_at == to_db(clock.now())
    clock.advance(60)
    outgoing = _message(conversation, OUT, "Hello!", clock, read=True)
    touch(conversation, outgoing)
    fresh = Conversation.get_by_id(conversation.id)
    assert (fresh.unread, fresh.last_direction, fresh.last_preview) == (1, OUT, "Hello!")


def test_preview_is_one_short_line():
    assert preview("a\n\nb\tc") == "a b c"
    long = preview("x" * 500)
    assert len(long) == 120 and long.endswith("…")


def test_contact_zone_order(database, clock):
    shop = ZoneInfo("Asia/Tokyo")
    la = Contact.create(number="+14155552671", created_at=to_db(clock.now()))
    assert contact_zone(la, shop) == ZoneInfo("America/Los_Angeles")
    la.timezone = "Europe/Berlin"
    assert contact_zone(la, shop) == ZoneInfo("Europe/Berlin")
    la.timezone = "Not/AZone"
    assert contact_zone(la, shop) == ZoneInfo("America/Los_Angeles")
    au = Contact.create(number="+61412345678", created_at=to_db(clock.now()))
    assert contact_zone(au, shop) == shop
    bank = Contact.create(number="MyBank", created_at=to_db(clock.now()))
    assert contact_zone(bank, shop) == shop


def test_is_textable():
    assert is_textable(ANNA)
    assert not is_textable("MyBank")
    assert not is_textable("12345")


def test_a_name_is_given_to_a_nameless_contact_only(database, clock):
    new = contact_for_number(ANNA, clock=clock, name="Anna Lee")
    assert new.name == "Anna Lee"
    Contact.update(name=None).where(Contact.id == new.id).execute()
    assert contact_for_number(ANNA, clock=clock, name="Anna L.").name == "Anna L."
    kept = contact_for_number(ANNA, clock=clock, name="Someone Else")
    assert kept.name == "Anna L."  # a name already there is never overwritten
    assert Contact.get_by_id(new.id).name == "Anna L." and Contact.select().count() == 1


def test_contact_for_an_id_a_row_or_a_number_as_typed(database, clock):
    import pytest

    from desk.base.phones import InvalidNumber
    from desk.messaging.contacts import NoSuchContact, contact_for

    anna = contact_for("(201) 555-0123", country="US", clock=clock)
    assert anna.number == ANNA
    assert contact_for(anna.id, country="US", clock=clock).id == anna.id
    assert contact_for(anna, country="US", clock=clock) is anna
    with pytest.raises(NoSuchContact, match="There is no contact"):
        contact_for(anna.id + 1, country="US", clock=clock)
    with pytest.raises(InvalidNumber):
        contact_for("not a number", country="US", clock=clock)
    assert Contact.select().count() == 1


def test_quiet_hold_in_the_contact_s_zone(database, settings, clock):
    from datetime import UTC, datetime

    from desk.messaging.contacts import quiet_hold

    tokyo = contact_for_number("+81312345678", clock=clock)  # 00:00 there at 15:00 UTC
    ny = contact_for_number(ANNA, clock=clock)  # 10:00 there
    assert quiet_hold(clock.now(), ny, settings) is None
    assert quiet_hold(clock.now(), tokyo, settings.snapshot()) == datetime(
        2026, 1, 5, 23, 0, tzinfo=UTC
    )
