"""Consent: STOP/START/HELP keywords, free-text opt-outs, the CANCEL rule, the consent record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.base.clock import to_db
from desk.compliance import consent
from desk.engine.incoming_rules import RULES
from desk.messaging import outbox, send_queue
from desk.messaging.inbox import store_incoming
from desk.store.models import (
    SENT,
    Appointment,
    ConsentEvent,
    Contact,
    Conversation,
    Message,
    Reminder,
    ReminderRun,
)
from tests.desk.conftest import sms_event

ANNA = "+12015550123"


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        "Stop.",
        " stop!! ",
        "STOPALL",
        "Stop all",
        "UNSUBSCRIBE",
        "Cancel",
        "END",
        "quit",
        "REVOKE",
        "OPT OUT",
        "opt-out",
        "OPT-OUT",
        "optout",
        "\u201cSTOP\u201d",
        "STOP 🛑",
        "ＳＴＯＰ",
    ],
)
def test_stop_variants(body):
    assert consent.classify(body) == "stop"


@pytest.mark.parametrize("body", ["START", "start.", "Unstop", "SUBSCRIBE!"])
def test_start_variants(body):
    assert consent.classify(body) == "start"


@pytest.mark.parametrize("body", ["HELP", "help?", "Info", "INFO."])
def test_help_variants(body):
    assert consent.classify(body) == "help"


@pytest.mark.parametrize(
    "body",
    [
        "stop texting me",
        "Please remove me from your list",
        "don't text me",
        "Do not text this number again",
        "STOP please",
        "stop it",
        "unsubscribe me",
        "opt me out",
        "Take me off your list",
        "No more texts please",
        "please stop messaging me",
    ],
)
def test_free_text_opt_outs_are_recognised(body):
    assert consent.classify(body) == "optout_text"


@pytest.mark.parametrize(
    "body",
    [
        "stop by at 5?",
        "Can I stop by at 5?",
        "YES",
        "yes",
        "C",
        "Can I cancel my appointment?",
        "I'll end up late, sorry",
        "don't stop believing",
        "the pain won't stop",
        "",
        "   ",
        "Thanks!",
        "start time?",
        "help me find the place",
    ],
)
def test_non_opt_outs(body):
    assert consent.classify(body) is None


@given(
    word=st.sampled_from(sorted(consent.STOP_WORDS)),
    before=st.text(" .,!?*-\"'()🛑\t\n", max_size=4),
    after=st.text(" .,!?*-\"'()🛑\t\n", max_size=4),
    upper=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_any_case_and_punctuation_around_a_stop_word_is_stop(word, before, after, upper):
    cased = "".join(c.upper() if u else c for c, u in zip(word, upper, strict=False))
    assert consent.classify(before + cased + after) == "stop"


def _incoming(body, settings, clock):
    clock.advance(30)
    return store_incoming(
        sms_event(ANNA, body, timestamp=clock.now()), settings=settings, clock=clock, rules=RULES
    )


def test_stop_opts_out_with_one_confirmation(database, settings, clock):
    result = _incoming("Stop.", settings, clock)
    contact = Contact.get(Contact.number == ANNA)
    assert contact.opted_out
    assert len(result.auto_replies) == 1
    reply = Message.get_by_id(result.auto_replies[0])
    assert reply.body == "You will get no more texts from Smile Dental. Reply START to opt back in."
    assert reply.source == "consent" and reply.state == "queued" and reply.direction == "out"
    event = ConsentEvent.get()
    assert (event.kind, event.method, event.text, event.number) == (
        "opt_out",
        "keyword",
        "Stop.",
        ANNA,
    )
    assert event.at == to_db(clock.now())
    assert "keyword" in Message.get_by_id(result.message_id).flag_list
    # the confirmation may go to an opted-out contact and is taken like any reply
    jobs = send_queue.take_jobs(settings=settings, clock=clock, limit=5)
    assert [j.job_id for j in jobs] == [reply.id]


def test_second_stop_sends_no_second_confirmation(database, settings, clock):
    _incoming("STOP", settings, clock)
    again = _incoming("stop!!", settings, clock)
    assert again.auto_replies == []
    assert Message.select().where(Message.source == "consent").count() == 1
    assert ConsentEvent.select().where(ConsentEvent.kind == "opt_out").count() == 2


def test_sending_to_an_opted_out_contact_is_refused(database, settings, clock):
    _incoming("UNSUBSCRIBE", settings, clock)
    with pytest.raises(outbox.SendRefused, match="opted out"):
        outbox.queue_message(ANNA, "Hello?", source="staff", settings=settings, clock=clock)


def test_start_opts_back_in_with_a_confirmation(database, settings, clock):
    _incoming("STOP", settings, clock)
    result = _incoming("Start", settings, clock)
    assert not Contact.get().opted_out
    (reply_id,) = result.auto_replies
    assert Message.get_by_id(reply_id).body.startswith("You are subscribed to texts from Smile")
    assert [e.kind for e in ConsentEvent.select().order_by(ConsentEvent.id)] == [
        "opt_out",
        "opt_in",
    ]
    outbox.queue_message(ANNA, "Welcome back", source="staff", settings=settings, clock=clock)
    # STOP again after START: a new opt-out, confirmed again
    assert len(_incoming("STOP", settings, clock).auto_replies) == 1


def test_start_when_never_opted_out_is_recorded_without_reply(database, settings, clock):
    result = _incoming("START", settings, clock)
    assert result.auto_replies == []
    assert ConsentEvent.get().kind == "opt_in"


def test_yes_is_not_an_opt_in(database, settings, clock):
    _incoming("STOP", settings, clock)
    _incoming("YES", settings, clock)
    assert Contact.get().opted_out


def test_help_gets_the_help_text_even_when_opted_out(database, settings, clock):
    settings.set("help_text", "{shop}, 12 Main St. Call 555-0100. Reply STOP to opt out.")
    _incoming("STOP", settings, clock)
    result = _incoming("HELP", settings, clock)
    (reply_id,) = result.auto_replies
    reply = Message.get_by_id(reply_id)
    assert reply.body == "Smile Dental, 12 Main St. Call 555-0100. Reply STOP to opt out."
    assert reply.source == "help"
    assert ConsentEvent.select().where(ConsentEvent.kind == "help").count() == 1
    # asked again at once: recorded, not answered twice
    assert _incoming("help", settings, clock).auto_replies == []
    clock.advance(timedelta(minutes=11))
    assert len(_incoming("INFO", settings, clock).auto_replies) == 1


def test_free_text_opt_out_is_flagged_for_staff_not_acted_on(database, settings, clock):
    result = _incoming("Please stop texting me", settings, clock)
    assert result.auto_replies == []
    assert not Contact.get().opted_out
    message = Message.get_by_id(result.message_id)
    assert "optout_text" in message.flag_list
    assert Conversation.get().needs_attention
    event = ConsentEvent.get()
    assert event.kind == "optout_text" and event.text == "Please stop texting me"


def test_stop_by_is_neither_acted_on_nor_flagged(database, settings, clock):
    result = _incoming("stop by at 5?", settings, clock)
    assert not Contact.get().opted_out
    assert Message.get_by_id(result.message_id).flags == ""
    assert not Conversation.get().needs_attention
    assert ConsentEvent.select().count() == 0


def _appointment_with_reminder_sent(clock, *, reminder_state: str = "queued"):
    contact = Contact.create(number=ANNA, created_at=to_db(clock.now()))
    conversation = Conversation.create(contact=contact, last_activity_at=to_db(clock.now()))
    appointment = Appointment.create(
        contact=contact,
        starts_at=to_db(clock.now() + timedelta(days=1)),
        created_at=to_db(clock.now()),
    )
    reminder = Reminder.create(
        text="See you tomorrow. Reply C to confirm, R to reschedule.",
        appointment=appointment,
        offset_minutes=1440,
        created_at=to_db(clock.now()),
    )
    sent = Message.create(
        conversation=conversation,
        direction="out",
        body=reminder.text,
        state=SENT,
        created_at=to_db(clock.now()),
        automated=True,
        source="reminder",
    )
    ReminderRun.create(
        reminder=reminder,
        contact=contact,
        due_at=to_db(clock.now()),
        state=reminder_state,
        message=sent,
        created_at=to_db(clock.now()),
    )
    return appointment


def test_cancel_answering_an_appointment_reminder_is_not_an_opt_out(database, settings, clock):
    appointment = _appointment_with_reminder_sent(clock)
    result = _incoming("CANCEL", settings, clock)
    assert not Contact.get().opted_out
    assert result.auto_replies == []
    assert ConsentEvent.select().count() == 0
    assert "keyword" not in Message.get_by_id(result.message_id).flag_list
    # and desk.reminders.appointments took it as the answer
    assert Appointment.get_by_id(appointment.id).state == "reschedule"
    assert result.appointment_id == appointment.id


def test_cancel_without_a_pending_appointment_is_an_opt_out(database, settings, clock):
    appointment = _appointment_with_reminder_sent(clock)
    Appointment.update(state="confirmed").where(Appointment.id == appointment.id).execute()
    result = _incoming("cancel", settings, clock)
    assert Contact.get().opted_out and len(result.auto_replies) == 1


def test_stop_is_an_opt_out_even_with_a_pending_appointment(database, settings, clock):
    _appointment_with_reminder_sent(clock)
    _incoming("STOP", settings, clock)
    assert Contact.get().opted_out


def test_stop_from_an_alphanumeric_sender_is_recorded_without_reply(database, settings, clock):
    result = store_incoming(
        sms_event("MyBank", "STOP"), settings=settings, clock=clock, rules=RULES
    )
    assert result.auto_replies == []
    assert Contact.get().opted_out
    assert Message.select().where(Message.direction == "out").count() == 0


def test_set_opt_out_by_staff_is_recorded(database, settings, clock):
    contact = Contact.create(number=ANNA, created_at=to_db(clock.now()))
    event = consent.set_opt_out(
        contact, True, method="staff", text="asked on the phone", clock=clock
    )
    assert Contact.get_by_id(contact.id).opted_out
    assert (event.kind, event.method) == ("opt_out", "staff")
    consent.set_opt_out(contact, False, method="staff", text=None, clock=clock)
    assert not Contact.get_by_id(contact.id).opted_out
    assert ConsentEvent.select().count() == 2
