"""Message.add_flag: the one way a rule marks a stored message (consent, appointments, keywords)."""

from __future__ import annotations

from desk.store.models import IN, RECEIVED, Contact, Conversation, Message


def test_add_flag_keeps_each_flag_once_and_writes_it(database):
    contact = Contact.create(number="+12015550123", created_at="2026-01-05 15:00:00")
    conversation = Conversation.create(contact=contact, last_activity_at="2026-01-05 15:00:00")
    message = Message.create(
        conversation=conversation,
        direction=IN,
        body="STOP please",
        state=RECEIVED,
        created_at="2026-01-05 15:00:00",
        flags="sensitive",
    )
    message.add_flag("optout_text")
    message.add_flag("optout_text")
    assert message.flag_list == ["sensitive", "optout_text"]
    assert Message.get_by_id(message.id).flag_list == ["sensitive", "optout_text"]
